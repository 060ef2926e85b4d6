"""The figures of a dispatch or bulletin, gathered from the database in steps.

Periods are local days (Asia/Shanghai), as the offices count them. Each step
is a function so the CLI can show progress on long runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coalguard.cloud.board.history import occurrences, response_minutes, summarize
from coalguard.cloud.checks import queries
from coalguard.cloud.checks.tables import CheckpointAlert, Inspection, LabSample
from coalguard.cloud.co.tables import CoAlert, CoDevice
from coalguard.cloud.market.rates import report_section
from coalguard.edge.clock import LOCAL_TZ

SILENT_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Period:
    kind: str  # daily | weekly
    region: str
    first_day: date
    last_day: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first_day, time(0), LOCAL_TZ).astimezone(UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(0), LOCAL_TZ).astimezone(
            UTC
        )

    def days(self) -> list[date]:
        n = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=k) for k in range(n)]


def period(kind: str, region: str, day: date) -> Period:
    """``daily``: that day; ``weekly``: the seven days ending with it."""
    if kind == "daily":
        return Period(kind, region, day, day)
    if kind == "weekly":
        return Period(kind, region, day - timedelta(days=6), day)
    raise ValueError(f"unknown report kind {kind!r}; use daily or weekly")


def checkpoint_figures(s: Session, p: Period, now: datetime) -> dict[str, Any]:
    total = queries.summary(s, p.region, p.since, p.until, now)
    by_cp = queries.summary(s, p.region, p.since, p.until, now, by="checkpoint")
    by_origin = queries.summary(s, p.region, p.since, p.until, now, by="origin")
    names = {c.checkpoint_id: c.name for c in queries.checkpoints_in(s, p.region)}
    for row in by_cp:
        row["name"] = names.get(row["checkpoint"], row["checkpoint"])
    return {
        "total": total[0] if total else {},
        "by_checkpoint": by_cp,
        "by_origin": sorted(by_origin, key=lambda r: -r.get("checked", 0)),
    }


def daily_series(s: Session, p: Period, now: datetime) -> list[dict[str, Any]]:
    out = []
    for d in p.days():
        one = period("daily", p.region, d)
        row = queries.summary(s, p.region, one.since, one.until, now)
        r = row[0] if row else {}
        out.append(
            {
                "date": d.isoformat(),
                "checked": r.get("checked", 0),
                "fail": r.get("fail", 0),
                "fail_rate": r.get("fail_rate"),
            }
        )
    return out


def lab_figures(s: Session, p: Period, now: datetime) -> dict[str, Any]:
    base = (
        select(func.count())
        .select_from(LabSample)
        .where(LabSample.region_code.startswith(p.region))
    )
    return {
        "sampled": s.scalar(
            base.where(LabSample.sampled_at >= p.since, LabSample.sampled_at < p.until)
        ),
        "reported": s.scalar(
            base.where(LabSample.reported_at >= p.since, LabSample.reported_at < p.until)
        ),
        "failed": s.scalar(
            base.where(
                LabSample.reported_at >= p.since,
                LabSample.reported_at < p.until,
                or_(LabSample.overall == "fail", LabSample.cloud_overall == "fail"),
            )
        ),
        "overdue_now": s.scalar(base.where(queries.overdue_clause(now))),
    }


def alarm_figures(s: Session, p: Period, now: datetime) -> dict[str, Any]:
    devices = select(CoDevice).where(
        CoDevice.registered.is_(True), CoDevice.region_code.startswith(p.region)
    )
    installed = online = 0
    silent: dict[str, int] = {}
    cutoff = min(now, p.until) - SILENT_AFTER
    for d in s.scalars(devices):
        installed += 1
        if d.online:
            online += 1
        if d.last_seen is None or d.last_seen < cutoff:
            silent[d.region_code] = silent.get(d.region_code, 0) + 1
    alerts = list(
        s.scalars(
            select(CoAlert).where(
                CoAlert.region_code.startswith(p.region),
                CoAlert.opened_at >= p.since,
                CoAlert.opened_at < p.until,
            )
        )
    )
    by_kind: dict[str, int] = {}
    for a in alerts:
        by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
    alarms = [a for a in alerts if a.kind == "co_alarm"]
    return {
        "installed": installed,
        "online": online,
        "offline": installed - online,
        "alerts_by_kind": dict(sorted(by_kind.items())),
        "alarms_raised": len(alarms),
        "response": response_minutes(
            [a.acknowledged_at - a.opened_at for a in alarms if a.acknowledged_at]
        ),
        "response_by_village": [
            {
                "village_code": v.key,
                "alarms": v.alarms,
                "acknowledged": v.acknowledged,
                "unacknowledged": v.unacknowledged,
                "median_min": v.median_min,
                "p90_min": v.p90_min,
            }
            for v in summarize(
                occurrences(s, p.region, False, since=p.since, until=p.until), "village"
            )
        ],
        "unacknowledged": sum(1 for a in alarms if a.acknowledged_at is None),
        "silent_by_village": [{"village_code": k, "silent": v} for k, v in sorted(silent.items())],
    }


def checkpoint_alert_figures(s: Session, p: Period) -> dict[str, Any]:
    rows = s.execute(
        select(CheckpointAlert.kind, func.count())
        .where(
            CheckpointAlert.region_code.startswith(p.region),
            CheckpointAlert.opened_at >= p.since,
            CheckpointAlert.opened_at < p.until,
        )
        .group_by(CheckpointAlert.kind)
    )
    still_open = s.scalar(
        select(func.count())
        .select_from(CheckpointAlert)
        .where(
            CheckpointAlert.region_code.startswith(p.region),
            CheckpointAlert.status == "open",
        )
    )
    return {"opened_by_kind": {k: int(v) for k, v in rows}, "open_now": int(still_open or 0)}


def sales_point_figures(s: Session, p: Period) -> dict[str, Any] | None:
    """Sales-point sampling (R6, R25): the season's rates to the last day and the period's
    samples (``cloud/market/rates.py``); None when the region lists no points."""
    return report_section(s, p.region, p.first_day, p.last_day)


STEPS: list[tuple[str, Callable[..., Any]]] = [
    ("checkpoints", lambda s, p, now: checkpoint_figures(s, p, now)),
    ("series", lambda s, p, now: daily_series(s, p, now)),
    ("lab", lambda s, p, now: lab_figures(s, p, now)),
    ("alarms", lambda s, p, now: alarm_figures(s, p, now)),
    ("checkpoint_alerts", lambda s, p, now: checkpoint_alert_figures(s, p)),
    ("sales_points", lambda s, p, now: sales_point_figures(s, p)),
]


def build(
    s: Session,
    p: Period,
    now: datetime,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every figure of the report, as one JSON-ready dict."""
    doc: dict[str, Any] = {
        "kind": p.kind,
        "region": p.region,
        "first_day": p.first_day.isoformat(),
        "last_day": p.last_day.isoformat(),
        "generated_at": now.isoformat(),
        "checkpoint_count": len(queries.checkpoints_in(s, p.region)),
        "inspections_total": s.scalar(
            select(func.count())
            .select_from(Inspection)
            .where(Inspection.region_code.startswith(p.region))
        ),
    }
    for name, step in STEPS:
        doc[name] = step(s, p, now)
        if progress:
            progress(name)
    return doc
