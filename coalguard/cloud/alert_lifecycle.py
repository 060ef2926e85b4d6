"""The one alert lifecycle, for CO alarm, checkpoint and coal-market alerts alike.

open -> acknowledged -> resolved, with who and when (the ``AlertLifecycle``
columns both tables share). The rules, the same for every kind:

- Acknowledge: only an open alert; records who, when and how (``ACK_WAYS``: a
  one-time link, an SMS reply code, the dashboard), and stops escalation.
- Resolve: an open or acknowledged alert. A person resolving an alert nobody
  had acknowledged records the acknowledgement too (same person, same time):
  an alert a person resolved always says who took it on.
- A repeat while the alert is active counts an occurrence and un-clears it.
- The condition going away marks the alert cleared (the first time counts);
  it resolves itself only where the caller says its kind may (health alerts:
  low battery, back online). A CO alarm never does: a person resolves it.

Changes of state happen inside the caller's transaction; notifications and
escalation stay with each kind's own module.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.errors import WordedInputError

if TYPE_CHECKING:  # the tables import this package's CO side, which imports this module
    from coalguard.cloud.checks.tables import CheckpointAlert
    from coalguard.cloud.co.tables import CoAlert
    from coalguard.cloud.market.tables import MarketAlert
    from coalguard.cloud.patrols.tables import PatrolAlert

    Alert = CoAlert | CheckpointAlert | MarketAlert | PatrolAlert

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
ACTIVE = (OPEN, ACKNOWLEDGED)
SYSTEM = "system"  # who resolved an alert whose condition went away
# How a person acknowledged: the one-time link of an SMS or call, a reply code by
# SMS, or the dashboard (and the API behind it).
LINK, SMS_REPLY, DASHBOARD = "link", "sms_reply", "dashboard"
ACK_WAYS = (LINK, SMS_REPLY, DASHBOARD)

# The public id's prefix of each alert table: ``co-12``, ``cp-7``, ``mk-3``, ``pt-4``.
PREFIX = {"co_alert": "co", "chk_alert": "cp", "mkt_alert": "mk", "ptl_alert": "pt"}


class AlertStateError(WordedInputError):
    """An acknowledge or resolve that the alert's status does not allow."""


def alert_ref(alert: Alert) -> str:
    """The public id of an alert of any kind: ``co-12``, ``cp-7``."""
    return f"{PREFIX[alert.__tablename__]}-{alert.id}"


def raise_or_recur(
    s: Session,
    table: type[Alert],
    match: dict[str, Any],
    at: datetime,
    detail: dict[str, Any] | None = None,
    **fields: Any,
) -> Alert:
    """The active alert of ``table`` whose columns equal ``match`` counts a repeat (``recur``);
    without one a new open alert is stored with ``match`` and ``fields``."""
    q = select(table).where(*(getattr(table, k) == v for k, v in match.items()))
    active = s.scalars(q.where(table.status.in_(ACTIVE))).first()
    if active is not None:
        recur(active, at, detail or {})
        return active
    alert = table(
        **match,
        **fields,
        status=OPEN,
        opened_at=at,
        updated_at=at,
        occurrences=1,
        detail=detail or {},
        escalation_level=0,
    )
    s.add(alert)
    s.flush()
    return alert


def acknowledge(alert: Alert, who: str, at: datetime, via: str = DASHBOARD) -> None:
    """``who`` took the alert on at ``at``, by ``via`` (one of ``ACK_WAYS``)."""
    if via not in ACK_WAYS:
        raise ValueError(f"unknown acknowledgement way {via!r}")
    if alert.status != OPEN:
        raise AlertStateError("alert_not_open", alert=alert_ref(alert))
    alert.status = ACKNOWLEDGED
    alert.acknowledged_by = who[:64]
    alert.acknowledged_at = at
    alert.acknowledged_via = via
    alert.updated_at = at


def resolve(alert: Alert, who: str, at: datetime, note: str | None) -> None:
    if alert.status == RESOLVED:
        raise AlertStateError("alert_resolved", alert=alert_ref(alert))
    if alert.acknowledged_at is None:
        alert.acknowledged_by = who
        alert.acknowledged_at = at
        alert.acknowledged_via = DASHBOARD
    alert.status = RESOLVED
    alert.resolved_by = who
    alert.resolved_at = at
    alert.resolution = note
    alert.updated_at = at


def recur(alert: Alert, at: datetime, detail: dict[str, Any]) -> None:
    """The condition happened again while the alert is active."""
    alert.occurrences += 1
    alert.updated_at = at
    alert.cleared_at = None
    alert.detail = {**alert.detail, **detail}


def clear(alert: Alert, at: datetime, *, auto_resolve: bool, cause: str) -> bool:
    """The condition went away; True when that resolved the alert (``auto_resolve``)."""
    if alert.cleared_at is not None and not auto_resolve:
        return False
    alert.cleared_at = at
    alert.updated_at = at
    if not auto_resolve:
        return False
    alert.status = RESOLVED
    alert.resolved_at = at
    alert.resolved_by = SYSTEM
    alert.resolution = f"condition cleared ({cause})"
    return True
