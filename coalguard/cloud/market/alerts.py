"""Market alerts (an overdue sampling task, a rectification past its deadline): raised
once per (kind, subject) while active, with the one lifecycle (``alert_lifecycle.py``).

They join the one alert list (``alert_list.py``, ids ``mk-N``) and are acknowledged
and resolved by the same routes as every other alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.alert_lifecycle import ACTIVE
from coalguard.cloud.market.tables import MarketAlert

SEVERITY: dict[str, str] = {
    "market.task_overdue": "medium",
    "market.recheck_overdue": "high",
    "market.rectification_overdue": "high",
    # findings on a point's books and overdue cases (``findings.py``, ``cases.py``)
    "market.duplicate_serial": "high",
    "market.zone_sale": "high",
    "market.over_quota": "medium",
    "market.weight_mismatch": "medium",
    "market.negative_stock": "medium",
    "market.case_overdue": "high",
}
DEFAULT_SEVERITY = "medium"


def raise_market_alert(
    s: Session,
    *,
    kind: str,
    subject: str,
    region_code: str,
    message: str,
    at: datetime,
    point_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> MarketAlert:
    """Open an alert, or count a repeat on the active one of the same kind and subject."""
    match = {"kind": kind, "subject": subject}
    fields = {"region_code": region_code, "point_id": point_id, "message": message}
    severity = SEVERITY.get(kind, DEFAULT_SEVERITY)
    return lifecycle.raise_or_recur(  # type: ignore[return-value]
        s, MarketAlert, match, at, detail, severity=severity, **fields
    )


def alert_exists(s: Session, kind: str, subject: str) -> bool:
    """Whether such an alert was ever raised, whatever became of it."""
    q = select(MarketAlert.id).where(MarketAlert.kind == kind, MarketAlert.subject == subject)
    return s.scalar(q.limit(1)) is not None


def clear_market_alert(s: Session, kind: str, subject: str, at: datetime) -> int:
    """The condition went away (the task was sampled): marked cleared; a person resolves it."""
    n = 0
    for a in s.scalars(
        select(MarketAlert).where(
            MarketAlert.kind == kind,
            MarketAlert.subject == subject,
            MarketAlert.status.in_(ACTIVE),
        )
    ):
        lifecycle.clear(a, at, auto_resolve=False, cause="done")
        n += 1
    return n
