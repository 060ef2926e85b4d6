"""The fast-pass list (R11): pre-registered trucks with a valid quality report.

The list is cached in the gateway database so the green lane works with the
uplink down. It is pulled from the cloud or read from a local file, both in
the one format of ``coalguard.edge.fastpass``; either way ``replace()`` swaps
the whole list atomically.

The green lane checks what it claims: the plate is listed, the declared coal
type is the report's, the report is valid today (Asia/Shanghai), the declared
quantity fits what the report still covers, and the consigning company is the
report's. Any mismatch sends the truck to normal inspection, each reason named.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from coalguard.edge.clock import LOCAL_TZ
from coalguard.edge.fastpass import FastPassList, same_company
from coalguard.edge.plain import field_names, plain
from coalguard.edge.plates import normalize_plate, plates_match
from coalguard.edge.records import FastPassLoaded
from coalguard.gateway.cached_list import CachedList
from coalguard.gateway.sink import RecordSink


@dataclass(frozen=True)
class Mismatch:
    """Why the green lane refused: ``code`` is a key of the ``[fastpass_check]`` catalog."""

    code: str
    params: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, **self.params}


@dataclass(frozen=True)
class FastPassCheck:
    """The outcome of the check: ``green`` means take the green lane."""

    plate: str
    green: bool
    reason: str  # listed | not_listed | mismatch
    company: str | None = None
    report_id: str | None = None
    expires: str | None = None
    mismatches: tuple[Mismatch, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {**plain(self, _CHECK_FIELDS), "mismatches": [m.as_dict() for m in self.mismatches]}

    def summary(self) -> str:
        """The transition's reason (a ``gw_reason`` catalog key); the details go in its data."""
        return f"fast pass: {self.reason}"


_CHECK_FIELDS = field_names(FastPassCheck, skip=("mismatches",))


@dataclass(eq=False)
class FastPassCache(CachedList):
    """The fast-pass list, cached for the green lane; each load is reported to the cloud."""

    sink: RecordSink
    table: ClassVar[str] = "fast_pass"
    version_key: ClassVar[str] = "fast_pass_version"

    def replace(self, fl: FastPassList, source: str) -> int:
        """Install a whole new list (atomic: never half old, half new)."""
        with self.swap(fl.version) as (db, now):
            for t in fl.trucks:
                db.execute(
                    "INSERT OR REPLACE INTO fast_pass(plate, company, report_id, expires, "
                    "coal_type, valid_from, quantity_t, list_version, loaded_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        t.plate,
                        t.company,
                        t.report_id,
                        t.expires.isoformat(),
                        t.coal_type,
                        t.valid_from.isoformat() if t.valid_from else None,
                        t.quantity_t,
                        fl.version,
                        now,
                    ),
                )
            self.sink.put(
                FastPassLoaded(
                    checkpoint_id=self.checkpoint_id,
                    version=fl.version,
                    trucks=len(fl.trucks),
                    source=source,
                    at=now,
                )
            )
        return len(fl.trucks)

    def check(
        self, plate: str, declared: dict[str, Any], when: datetime | None = None
    ) -> FastPassCheck:
        """Check a registered truck (``declared``: its registration) against the cached list."""
        p = normalize_plate(plate)
        row = self.store.row("SELECT * FROM fast_pass WHERE plate = ?", (p,))
        if row is None:
            return FastPassCheck(p, False, "not_listed", mismatches=(self._unlisted(p),))
        today = (when or self.clock.now()).astimezone(LOCAL_TZ).date()
        found = tuple(_mismatches(row, declared, today, self._remaining(row)))
        return FastPassCheck(
            p,
            not found,
            "mismatch" if found else "listed",
            row["company"],
            row["report_id"],
            row["expires"],
            found,
        )

    def _unlisted(self, plate: str) -> Mismatch:
        """Not listed; a listed plate one character off is named (a misread or a look-alike)."""
        near = [r["plate"] for r in self.store.rows("SELECT plate FROM fast_pass")]
        close = next((n for n in near if plates_match(plate, n)), None)
        if close:
            return Mismatch("plate_near", {"plate": plate, "listed": close})
        return Mismatch("not_listed", {"plate": plate})

    def _remaining(self, row: Any) -> float | None:
        """What the report still covers: the list's figure less this checkpoint's green
        lanes on it since the list was loaded (those the cloud had not yet counted)."""
        if row["quantity_t"] is None:
            return None
        used = self.store.scalar(
            "SELECT COALESCE(SUM(json_extract(registration, '$.weight_t')), 0) FROM inspections "
            "WHERE json_extract(fast_pass, '$.report_id') = ? "
            "AND json_extract(fast_pass, '$.green') = 1 AND opened_at >= ? "
            "AND state != 'cancelled'",
            (row["report_id"], row["loaded_at"]),
        )
        return float(row["quantity_t"]) - float(used or 0)


def _mismatches(
    row: Any, declared: dict[str, Any], today: date, remaining: float | None
) -> Iterator[Mismatch]:
    if row["coal_type"] is None or row["valid_from"] is None or remaining is None:
        yield Mismatch("list_format_old", {"report_id": row["report_id"]})
        return
    coal = str(declared.get("coal_type") or "")
    if coal != row["coal_type"]:
        yield Mismatch("coal_type", {"declared": coal, "report": row["coal_type"]})
    if today < date.fromisoformat(row["valid_from"]):
        yield Mismatch("not_yet_valid", {"valid_from": row["valid_from"], "today": str(today)})
    if today > date.fromisoformat(row["expires"]):
        yield Mismatch("expired", {"expires": row["expires"], "today": str(today)})
    weight = float(declared.get("weight_t") or 0)
    if weight > remaining:
        yield Mismatch("quantity", {"declared": _t(weight), "remaining": _t(max(remaining, 0))})
    company = str(declared.get("consignor") or "").strip()
    if not company:
        yield Mismatch("company_missing", {"report": row["company"]})
    elif not same_company(company, row["company"]):
        yield Mismatch("company", {"declared": company, "report": row["company"]})


def _t(tonnes: float) -> str:
    return f"{tonnes:g}"
