"""The 100 % rates of R6/R25 per region and period, and the public list of failing results.

- sampling coverage: sales points actually trading (vocabulary ``trading_statuses``,
  the points' status now) sampled in the period / those points;
- briquette-producer coverage: the same for the producers;
- re-check rate: points whose every failing task of the period has a sampled
  re-check / points that failed;
- case-disposal rate: cases handled / cases opened (``cases_port``).

Each rate stands against its 100 % target with the points missing it listed by
name; with nothing to count a rate is None ("no data"), never a made-up 100 %.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from coalguard.cloud.alert_lifecycle import ACTIVE
from coalguard.cloud.market.cases_port import case_counts
from coalguard.cloud.market.sampling import deciding_result
from coalguard.cloud.market.tables import BusinessPoint, MarketAlert, SamplingTask
from coalguard.cloud.market.vocabulary import vocabulary
from coalguard.cloud.privacy import mask_name
from coalguard.cloud.scope import LEVEL_DIGITS
from coalguard.edge.clock import LOCAL_TZ

RATES = ("sampling", "recheck", "cases", "producers")


@dataclass(frozen=True)
class Period:
    """Local days from ``since`` to ``until``, inclusive; ``phase`` None: the whole season."""

    year: int
    phase: str | None
    since: date
    until: date

    def utc_bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.since, time(0), LOCAL_TZ)
        end = datetime.combine(self.until + timedelta(days=1), time(0), LOCAL_TZ)
        return start, end


def period_of(year: int, phase: str | None = None) -> Period:
    """A campaign phase of ``year`` from the calendar, or the whole season; ValueError when
    the phase is not one of the calendar's."""
    cal = vocabulary().calendar
    if phase is None:
        since, until = cal.season(year)
        return Period(year, None, since, until)
    p = cal.phase(phase)
    if p is None:
        known = ", ".join(x.id for x in cal.phases)
        raise ValueError(f"unknown phase {phase!r} (known: {known})")
    since, until = p.span(year)
    return Period(year, phase, since, until)


@dataclass
class Rate:
    done: int = 0
    of: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return None if self.of == 0 else self.done / self.of

    def view(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "of": self.of,
            "rate": self.rate,
            "target": 1.0,
            "met": self.rate is not None and self.done == self.of,
            "missing": sorted(self.missing),
        }


def _tasks_in(s: Session, region: str, p: Period) -> list[tuple[SamplingTask, BusinessPoint]]:
    start, end = p.utc_bounds()
    q = (
        select(SamplingTask, BusinessPoint)
        .join(BusinessPoint, BusinessPoint.id == SamplingTask.point_id)
        .where(
            SamplingTask.region_code.startswith(region),
            SamplingTask.sampled_at >= start,
            SamplingTask.sampled_at < end,
        )
        .order_by(SamplingTask.sampled_at, SamplingTask.id)
    )
    return [(t, pt) for t, pt in s.execute(q).all()]


def _rechecked(s: Session, task_ids: list[int]) -> set[int]:
    """The failing tasks among ``task_ids`` whose re-check has its sample."""
    if not task_ids:
        return set()
    r = aliased(SamplingTask)
    q = select(r.recheck_of).where(r.recheck_of.in_(task_ids), r.sampled_at.is_not(None))
    return {x for x in s.scalars(q) if x is not None}


def _county(code: str) -> str:
    return code[: LEVEL_DIGITS["county"]]


def rates(s: Session, region: str, p: Period) -> dict[str, Any]:
    """The four rates for ``region`` as a whole and per county in it."""
    v = vocabulary()
    points = list(
        s.scalars(select(BusinessPoint).where(BusinessPoint.region_code.startswith(region)))
    )
    tasks = _tasks_in(s, region, p)
    sampled = {pt.id for _t, pt in tasks}
    failing = [t for t, _pt in tasks if t.outcome == "fail"]
    rechecked = _rechecked(s, [t.id for t in failing])
    by_id = {pt.id: pt for pt in points}

    def figures(in_county: str | None) -> dict[str, Any]:
        def here(pt: BusinessPoint) -> bool:
            return in_county is None or _county(pt.region_code) == in_county

        out = {name: Rate() for name in RATES}
        for pt in points:
            if not here(pt) or pt.status not in v.trading_statuses:
                continue
            rate = out["producers"] if pt.kind in v.producer_kinds else out["sampling"]
            if pt.kind not in v.producer_kinds and pt.kind not in v.sales_kinds:
                continue
            rate.of += 1
            if pt.id in sampled:
                rate.done += 1
            else:
                rate.missing.append(pt.name)
        failed_points: dict[int, bool] = defaultdict(lambda: True)
        for t in failing:
            pt = by_id.get(t.point_id)
            if pt is None or not here(pt):
                continue
            failed_points[pt.id] &= t.id in rechecked
        rc = out["recheck"]
        for pid, ok in failed_points.items():
            rc.of += 1
            if ok:
                rc.done += 1
            else:
                rc.missing.append(by_id[pid].name)
        cases = case_counts(s, in_county or region, p.since, p.until)
        out["cases"] = Rate(cases.handled, cases.total, list(cases.open_points))
        return {name: r.view() for name, r in out.items()} | {"case_source": cases.source}

    counties = sorted({_county(pt.region_code) for pt in points})
    return {
        "region": region,
        "year": p.year,
        "phase": p.phase,
        "since": p.since.isoformat(),
        "until": p.until.isoformat(),
        "total": figures(None),
        "counties": [{"county": c, **figures(c)} for c in counties] if len(region) < 6 else [],
    }


def failing_results(s: Session, region: str, p: Period) -> list[dict[str, Any]]:
    """The failing results a county publishes (公开公示): the point, its sample and the
    limits it broke; the person running the point masked, samplers left out."""
    rows = []
    for t, pt in _tasks_in(s, region, p):
        if t.outcome != "fail":
            continue
        r = deciding_result(s, t)
        broken = [
            f"{i['indicator']} {i['value']} > {i['max']}"
            if i.get("max") is not None
            else f"{i['indicator']} {i['value']} < {i.get('min')}"
            for i in r.verdict.get("indicators", [])
            if i.get("status") == "fail"
        ]
        assert t.sampled_at is not None
        rows.append(
            {
                "point_code": pt.code,
                "point_name": pt.name,
                "kind": pt.kind,
                "licence": pt.licence or "",
                "address": pt.address,
                "region_code": pt.region_code,
                "operator_name": mask_name(pt.operator_name or ""),
                "sampled_on": t.sampled_at.astimezone(LOCAL_TZ).date().isoformat(),
                "sample_id": t.sample_id or "",
                "task_kind": t.kind,
                "coal_type": t.coal_type,
                "method": r.method,
                "profile_id": r.profile_id,
                "failed": "; ".join(broken),
            }
        )
    return rows


def season_to(day: date) -> Period:
    """From the start of ``day``'s campaign season to ``day`` (what a dispatch report counts)."""
    start, _end = vocabulary().calendar.season(day.year)
    return Period(day.year, None, min(start, day), day)


def report_section(
    s: Session, region: str, first_day: date, last_day: date
) -> dict[str, Any] | None:
    """The daily/weekly report's sales-point section: the rates of the season to the report's
    last day, and what the report's days saw; None when the region has no points at all."""
    if (
        s.scalar(select(BusinessPoint.id).where(BusinessPoint.region_code.startswith(region)))
        is None
    ):
        return None
    season = season_to(last_day)
    days = Period(last_day.year, None, first_day, last_day)
    in_days = _tasks_in(s, region, days)
    overdue = s.scalar(
        select(func.count())
        .select_from(MarketAlert)
        .where(
            MarketAlert.region_code.startswith(region),
            MarketAlert.kind.in_(("market.task_overdue", "market.recheck_overdue")),
            MarketAlert.status.in_(ACTIVE),
        )
    )
    return {
        "season_since": season.since.isoformat(),
        "rates": rates(s, region, season)["total"],
        "sampled": len(in_days),
        "failed": sum(1 for t, _pt in in_days if t.outcome == "fail"),
        "overdue_open": int(overdue or 0),
    }
