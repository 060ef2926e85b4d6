"""Overdue patrols: a grid not patrolled within its rhythm raises one alert to its leader.

For each grid and each rule of its jurisdiction (``frequency.toml``), the patrol is
due ``every_days`` after the last patrol that counts for the rule (by any member, or
by members of the rule's role), or after the grid was set up when there is none. Past
that time one ``patrol.overdue`` alert is raised for that due time (the shared
lifecycle, ``alert_lifecycle.raise_or_recur``); a second sweep, on this replica or
another, finds it and raises nothing. The next patrol that counts clears it.

The sweep runs in the cloud's checks loop under its lease (``checks/worker.py``),
so one replica sweeps at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.alert_lifecycle import ACTIVE
from coalguard.cloud.patrols.frequency import FrequencyPolicy, Rule
from coalguard.cloud.patrols.grids import leader_of
from coalguard.cloud.patrols.tables import Grid, PatrolAlert, PatrolRecord
from coalguard.cloud.scope import region_level

KIND = "patrol.overdue"
SEVERITY = "medium"


def _subject(grid: Grid, rule: Rule) -> str:
    return f"grid {grid.id} {rule.key}"


def _last_patrols(s: Session) -> dict[tuple[int, str], datetime]:
    """The latest patrol of every (grid, role), in one grouped query."""
    q = select(
        PatrolRecord.grid_id, PatrolRecord.grid_role, func.max(PatrolRecord.patrolled_at)
    ).group_by(PatrolRecord.grid_id, PatrolRecord.grid_role)
    return {(g, r): at for g, r, at in s.execute(q).all()}


def last_patrol(last: dict[tuple[int, str], datetime], grid: Grid, rule: Rule) -> datetime | None:
    """The latest patrol of ``grid`` that counts for ``rule``."""
    times = [at for (g, r), at in last.items() if g == grid.id and rule.role in (None, r)]
    return max(times, default=None)


def due_at(grid: Grid, rule: Rule, last: datetime | None) -> datetime:
    return (last or grid.created_at) + rule.every


def _active(s: Session, subject: str) -> PatrolAlert | None:
    q = select(PatrolAlert).where(
        PatrolAlert.kind == KIND, PatrolAlert.subject == subject, PatrolAlert.status.in_(ACTIVE)
    )
    return s.scalars(q.limit(1)).first()


def sweep_overdue(s: Session, now: datetime, policy: FrequencyPolicy) -> int:
    """Raise one alert per grid and rule whose patrol is past due; returns how many."""
    last = _last_patrols(s)
    n = 0
    for grid in s.scalars(select(Grid).order_by(Grid.id)):
        level = region_level(grid.region_code)
        for rule in policy.rules_for(grid.region_code, level or "", grid.video_cover):
            due = due_at(grid, rule, last_patrol(last, grid, rule))
            subject = _subject(grid, rule)
            if now <= due or _active(s, subject) is not None:
                continue
            raise_overdue(s, grid, rule, due, now)
            n += 1
    return n


def raise_overdue(s: Session, grid: Grid, rule: Rule, due: datetime, now: datetime) -> PatrolAlert:
    """The overdue alert of ``grid`` under ``rule``, addressed to the grid's leader."""
    leader = leader_of(s, grid)
    detail = {
        "grid_id": grid.id,
        "rule": rule.key,
        "role": rule.role,
        "every_days": rule.every_days,
        "due_at": due.isoformat(),
        "leader_contact_id": leader.id if leader else None,
    }
    late = now - due
    message = f"grid {grid.region_code} not patrolled for {rule.every_days} d (+{_hours(late)} h)"
    return lifecycle.raise_or_recur(  # type: ignore[return-value]
        s,
        PatrolAlert,
        {"kind": KIND, "subject": _subject(grid, rule)},
        now,
        detail,
        grid_id=grid.id,
        region_code=grid.region_code,
        severity=SEVERITY,
        message=message,
        leader_contact_id=leader.id if leader else None,
    )


def _hours(d: timedelta) -> int:
    return int(d.total_seconds() // 3600)


def clear_by_patrol(s: Session, grid_id: int, grid_role: str, at: datetime) -> int:
    """A patrol came: the grid's overdue alerts it satisfies resolve themselves."""
    q = select(PatrolAlert).where(
        PatrolAlert.grid_id == grid_id, PatrolAlert.kind == KIND, PatrolAlert.status.in_(ACTIVE)
    )
    n = 0
    for alert in s.scalars(q):
        if alert.detail.get("role") in (None, grid_role):
            lifecycle.clear(alert, at, auto_resolve=True, cause="patrolled")
            n += 1
    return n
