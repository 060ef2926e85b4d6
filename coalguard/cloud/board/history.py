"""CO alarm history: each alarm a household had, how soon someone answered, who and how.

Response time is open → acknowledged (the lifecycle's ``acknowledged_at``).
The same figures feed the dashboard's history pages and the daily and weekly
reports (``reports/figures.py``), per village and per household.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.alert_lifecycle import DASHBOARD, alert_ref
from coalguard.cloud.board.cards import ALARM, household_name
from coalguard.cloud.co.tables import CoAlert, CoDevice

HISTORY_LIMIT = 2000


@dataclass(frozen=True)
class Occurrence:
    """One CO alarm at one household, from open to its answer."""

    id: str
    device_id: str
    village: str
    household: str
    address: str
    opened_at: datetime
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    how: str | None  # link | sms_reply | dashboard (``alert_lifecycle.ACK_WAYS``)
    response: timedelta | None
    peak_ppm: float | None
    resolved_at: datetime | None

    @property
    def response_min(self) -> float | None:
        return None if self.response is None else round(self.response.total_seconds() / 60, 1)


@dataclass(frozen=True)
class Summary:
    """Alarms of a village or household and the response times (minutes)."""

    key: str  # village code or device id
    label: str  # the household (masked), or the village code
    alarms: int
    acknowledged: int
    unacknowledged: int
    median_min: float | None
    p90_min: float | None


def response_minutes(deltas: Iterable[timedelta]) -> dict[str, float | int | None]:
    """Count, median and 90th percentile (nearest rank) of response times, in minutes."""
    mins = sorted(d.total_seconds() / 60 for d in deltas)
    if not mins:
        return {"count": 0, "median_min": None, "p90_min": None}
    p90 = mins[min(len(mins) - 1, round(0.9 * (len(mins) - 1)))]
    return {
        "count": len(mins),
        "median_min": round(statistics.median(mins), 1),
        "p90_min": round(p90, 1),
    }


def acknowledged_how(a: CoAlert) -> str | None:
    """How the answer came (``alert_lifecycle.ACK_WAYS``); acknowledgements from before the
    escalation recorded it were all a user's, on the dashboard or its API."""
    if a.acknowledged_at is None:
        return None
    return a.acknowledged_via or DASHBOARD


def occurrences(
    s: Session,
    region: str,
    sees_personal_data: bool,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    device_id: str | None = None,
) -> list[Occurrence]:
    """The CO alarms opened in ``region`` (a prefix; a village is 12 digits), newest first."""
    q = select(CoAlert, CoDevice).outerjoin(CoDevice, CoDevice.device_id == CoAlert.device_id)
    q = q.where(CoAlert.kind == ALARM, CoAlert.region_code.startswith(region))
    if device_id is not None:
        q = q.where(CoAlert.device_id == device_id)
    if since is not None:
        q = q.where(CoAlert.opened_at >= since)
    if until is not None:
        q = q.where(CoAlert.opened_at < until)
    q = q.order_by(CoAlert.opened_at.desc()).limit(HISTORY_LIMIT)
    out = []
    for a, dev in s.execute(q):
        ppm = (a.detail or {}).get("co_ppm")
        out.append(
            Occurrence(
                id=alert_ref(a),
                device_id=a.device_id,
                village=a.region_code,
                household=household_name(dev, sees_personal_data) or "—",
                address=(dev.address if dev else None) or "—",
                opened_at=a.opened_at,
                status=a.status,
                acknowledged_at=a.acknowledged_at,
                acknowledged_by=a.acknowledged_by,
                how=acknowledged_how(a),
                response=a.acknowledged_at - a.opened_at if a.acknowledged_at else None,
                peak_ppm=float(ppm) if isinstance(ppm, int | float) else None,
                resolved_at=a.resolved_at,
            )
        )
    return out


def summarize(occ: list[Occurrence], by: str) -> list[Summary]:
    """Per village (``by="village"``) or per household (``by="device_id"``), by key."""
    groups: dict[str, list[Occurrence]] = {}
    for o in occ:
        groups.setdefault(getattr(o, by), []).append(o)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        answered = [o.response for o in rows if o.response is not None]
        stats = response_minutes(answered)
        out.append(
            Summary(
                key=key,
                label=rows[0].household if by == "device_id" else key,
                alarms=len(rows),
                acknowledged=len(answered),
                unacknowledged=len(rows) - len(answered),
                median_min=stats["median_min"],
                p90_min=stats["p90_min"],
            )
        )
    return out
