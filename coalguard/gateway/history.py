"""Finding any truck the gateway still holds: by plate, local days, verdict and company.

The operator page lists today's trucks; a driver, a coal owner or a court asks
about any day. Plates are matched in their one form (``edge/plates.py``) and
in part (``BWX`` finds ``晋BWXQ4L``); days are Asia/Shanghai calendar days,
both ends included; the company is the consigning company as registered or as
the fast-pass list names it (either matches), in part. A bad filter is refused with the
reason in words (``BadSearch``), never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from coalguard.edge.clock import LOCAL_TZ
from coalguard.edge.plates import normalize_plate
from coalguard.edge.quality import Overall
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso

PER_PAGE = 50
VERDICTS = tuple(o.value for o in Overall)
MAX_TEXT = 64

# The consigning company as registered (托运单位), else as the fast-pass list names it.
_CONSIGNOR = "json_extract(registration, '$.consignor')"
_LISTED = "json_extract(fast_pass, '$.company')"
_COMPANY = f"COALESCE({_CONSIGNOR}, {_LISTED}, '')"
_EITHER_COMPANY = f"COALESCE({_CONSIGNOR}, '') || ' ' || COALESCE({_LISTED}, '')"


class BadSearch(GatewayError):
    """A history filter that cannot be read; the message names which and why."""

    section = "gw_history"


@dataclass(frozen=True)
class HistoryQuery:
    plate: str = ""
    day_from: date | None = None
    day_to: date | None = None
    verdict: str = ""
    company: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> HistoryQuery:
        """The filters of ``GET /history`` (empty ones ignored); ``BadSearch`` when wrong."""
        day_from = _day(params.get("from", ""), "from")
        day_to = _day(params.get("to", ""), "to")
        if day_from and day_to and day_from > day_to:
            raise BadSearch("bad_range", day_from=day_from.isoformat(), day_to=day_to.isoformat())
        verdict = params.get("verdict", "").strip()
        if verdict and verdict not in VERDICTS:
            raise BadSearch("bad_verdict", value=verdict[:MAX_TEXT])
        page_text = params.get("page", "").strip() or "1"
        if not page_text.isdigit() or int(page_text) < 1 or len(page_text) > 6:
            raise BadSearch("bad_page", value=page_text[:MAX_TEXT])
        return cls(
            plate=normalize_plate(params.get("plate", ""))[:MAX_TEXT],
            day_from=day_from,
            day_to=day_to,
            verdict=verdict,
            company=params.get("company", "").strip()[:MAX_TEXT],
            page=int(page_text),
        )

    def params(self, **change: Any) -> dict[str, str]:
        """The query string of these filters (``page`` changed for the page links)."""
        q = {
            "plate": self.plate,
            "from": self.day_from.isoformat() if self.day_from else "",
            "to": self.day_to.isoformat() if self.day_to else "",
            "verdict": self.verdict,
            "company": self.company,
            "page": str(change.get("page", self.page)),
        }
        return {k: v for k, v in q.items() if v and not (k == "page" and v == "1")}


@dataclass(frozen=True)
class HistoryPage:
    rows: list[dict[str, Any]]  # inspections, newest first, with ``company``
    total: int
    page: int
    pages: int


def search(store: Store, q: HistoryQuery, per_page: int = PER_PAGE) -> HistoryPage:
    """One page of the inspections matching ``q``, newest first."""
    where, args = _where(q)
    total = int(store.scalar(f"SELECT COUNT(*) FROM inspections WHERE {where}", args) or 0)
    pages = max(1, -(-total // per_page))
    page = min(q.page, pages)
    rows = store.rows(
        f"SELECT id, plate, state, opened_at, closed_at, overall, outcome, case_open, "
        f"{_COMPANY} AS company FROM inspections WHERE {where} "
        "ORDER BY opened_at DESC, id LIMIT ? OFFSET ?",
        (*args, per_page, (page - 1) * per_page),
    )
    return HistoryPage([dict(r) for r in rows], total, page, pages)


def _where(q: HistoryQuery) -> tuple[str, list[Any]]:
    clauses, args = ["1 = 1"], []
    if q.plate:
        clauses.append("instr(plate, ?) > 0")
        args.append(q.plate)
    if q.day_from:
        clauses.append("opened_at >= ?")
        args.append(iso(_local_midnight(q.day_from)))
    if q.day_to:
        clauses.append("opened_at < ?")
        args.append(iso(_local_midnight(q.day_to + timedelta(days=1))))
    if q.verdict:
        clauses.append("overall = ?")
        args.append(q.verdict)
    if q.company:
        clauses.append(f"instr(lower({_EITHER_COMPANY}), lower(?)) > 0")
        args.append(q.company)
    return " AND ".join(clauses), args


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ).astimezone(UTC)


def _day(text: str, name: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadSearch(f"bad_{name}", value=text[:MAX_TEXT]) from None
