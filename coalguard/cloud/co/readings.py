"""CO readings of one alarm over time: what the dashboard's charts draw.

One query for the alarm page and the live board, so both plot the same points.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.co.tables import CoMessageRow

MAX_POINTS = 5000


def co_history(
    s: Session, device_id: str, since: datetime, limit: int = MAX_POINTS
) -> list[tuple[datetime, float]]:
    """``(time, ppm)`` of the states since ``since``, oldest first (the latest ``limit``)."""
    rows = s.execute(
        select(CoMessageRow.ts, CoMessageRow.payload)
        .where(
            CoMessageRow.device_id == device_id,
            CoMessageRow.kind == "state",
            CoMessageRow.ts >= since,
        )
        .order_by(CoMessageRow.ts.desc())
        .limit(limit)
    )
    out = []
    for ts, payload in rows:
        v = (payload or {}).get("co_ppm")
        if isinstance(v, int | float):
            out.append((ts, float(v)))
    out.reverse()
    return out
