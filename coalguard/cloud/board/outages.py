"""The area outages an operator's board shows above the alarms (``co/outage.py``).

An outage of the operator's region, of an area inside it, or of an area that
holds it (a township cut seen by a village's operator; our own side blind,
region "", seen by everyone). Plain values; ``templates/dashboard/board.html``
words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.alert_lifecycle import ACTIVE, alert_ref
from coalguard.cloud.auth import Operator
from coalguard.cloud.co.rules import OUTAGE_KIND
from coalguard.cloud.co.tables import CoAlert


@dataclass(frozen=True)
class OutageBanner:
    id: str  # the public alert id, ``co-12``
    area: str  # region code; "" for our own side blind
    level: str | None  # village | township; None when blind
    cause: str  # area | no_messages | broker_disconnected
    count: int
    opened_at: datetime
    status: str


def active_outages(s: Session, op: Operator) -> list[OutageBanner]:
    """The active outage incidents that touch ``op``'s region, newest first."""
    q = select(CoAlert).where(CoAlert.kind == OUTAGE_KIND, CoAlert.status.in_(ACTIVE))
    return [
        OutageBanner(
            id=alert_ref(a),
            area=a.region_code,
            level=a.detail.get("level"),
            cause=str(a.detail.get("cause", "area")),
            count=int(a.detail.get("count", 0)),
            opened_at=a.opened_at,
            status=a.status,
        )
        for a in s.scalars(q.order_by(CoAlert.opened_at.desc()))
        if op.covers(a.region_code) or op.region_prefix.startswith(a.region_code)
    ]
