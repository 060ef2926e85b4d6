"""Routes of the one alert list: CO alarm and checkpoint alerts, same lifecycle, one filter.

Ids carry their source: ``co-12`` is a CO alarm alert, ``cp-7`` a checkpoint
alert. Acknowledge and resolve work on both with the one set of rules of
``alert_lifecycle.py``; the list and its serializer are ``alert_list.py``. The
old CO-only addresses (``/api/v1/co/alerts``) redirect here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.alert_list import AlertFilter, alert_view, find_alert, unified_alerts
from coalguard.cloud.api.deps import AlertActor, ClockDep, Reader
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import Operator
from coalguard.cloud.co import alerts as co_alerts
from coalguard.cloud.privacy import redact
from coalguard.cloud.scope import scoped_region
from coalguard.edge.clock import Clock

router = APIRouter(prefix="/api/v1", tags=["alerts"])
SEVERITIES = ("critical", "high", "medium", "low", "info")


class UnifiedAlert(BaseModel):
    """A CO alarm alert (``co-…``), a checkpoint alert (``cp-…``), a market alert (``mk-…``)
    or an overdue grid patrol (``pt-…``)."""

    id: str
    source: Literal["co", "checkpoint", "market", "patrol"]
    subject: str | None
    checkpoint_id: str | None
    device_id: str | None
    message: str | None
    origin: str | None = None
    point_id: int | None = None
    grid_id: int | None = None
    leader_contact_id: int | None = None
    kind: str
    severity: str
    status: str
    region_code: str
    opened_at: str | None
    updated_at: str | None
    occurrences: int
    escalation_level: int
    cleared_at: str | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    acknowledged_via: str | None = None
    resolved_by: str | None
    resolved_at: str | None
    resolution: str | None
    detail: dict[str, Any] | None


@router.get("/alerts", response_model=list[UnifiedAlert])
def list_alerts(
    request: Request, op: Reader, f: Annotated[AlertFilter, Query()], region: str | None = None
) -> list[dict[str, Any]]:
    """CO alarm and checkpoint alerts in one list, newest first (``active`` = not resolved)."""
    with request.app.state.sessions() as s:
        rows = unified_alerts(s, scoped_region(op, region), f)
    return redact(rows, op.sees_personal_data)


class Note(BaseModel):
    note: str | None = Field(None, max_length=1000, examples=["现场已处置, 用户已开窗通风"])


def act_on_alert(
    request: Request, op: Operator, clock: Clock, alert_id: str, action: str, note: str | None
) -> dict[str, Any]:
    """Acknowledge or resolve; the caller's role was checked by the route (``ALERT_ACTORS``).

    A state that does not allow it raises ``AlertStateError``: a 409 problem.
    """
    now = clock.now()
    with request.app.state.sessions.begin() as s:
        alert = find_alert(s, alert_id)
        if alert is None or not op.covers(alert.region_code):
            raise Problem(404, "no_alert", alert_id=alert_id)
        if action == "ack":  # a CO alarm's escalation stops there
            co_alerts.acknowledge(s, alert, op.name, lifecycle.DASHBOARD, now)
        else:
            lifecycle.resolve(alert, op.name, now, note)
        return alert_view(alert)


@router.post("/alerts/{alert_id}/ack", response_model=UnifiedAlert, responses=problems(404, 409))
def acknowledge(request: Request, op: AlertActor, clock: ClockDep, alert_id: str) -> dict[str, Any]:
    """Acknowledge an open alert (stops its escalation)."""
    return act_on_alert(request, op, clock, alert_id, "ack", None)


@router.post(
    "/alerts/{alert_id}/resolve", response_model=UnifiedAlert, responses=problems(404, 409)
)
def resolve(
    request: Request,
    op: AlertActor,
    clock: ClockDep,
    alert_id: str,
    body: Note | None = None,
) -> dict[str, Any]:
    """Resolve an alert with an optional note."""
    return act_on_alert(request, op, clock, alert_id, "resolve", body.note if body else None)
