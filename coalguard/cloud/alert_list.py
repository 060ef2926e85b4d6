"""The one alert list: CO alarm, checkpoint, coal-market and patrol alerts, one serializer,
one filter.

Ids carry their source: ``co-12`` is a CO alarm alert, ``cp-7`` a checkpoint
alert, ``mk-3`` a coal-market alert, ``pt-4`` an overdue grid patrol. The routes
(``api/routes/alerts.py``) and the dashboard read alerts here; state changes follow
``alert_lifecycle.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.alert_lifecycle import ACTIVE, alert_ref
from coalguard.cloud.checks.tables import CheckpointAlert
from coalguard.cloud.co.tables import CoAlert
from coalguard.cloud.market.tables import MarketAlert
from coalguard.cloud.patrols.tables import PatrolAlert
from coalguard.cloud.scope import aware


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _common(a: CoAlert | CheckpointAlert | MarketAlert | PatrolAlert) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "severity": a.severity,
        "status": a.status,
        "region_code": a.region_code,
        "opened_at": _iso(a.opened_at),
        "updated_at": _iso(a.updated_at),
        "occurrences": a.occurrences,
        "escalation_level": a.escalation_level,
        "cleared_at": _iso(a.cleared_at),
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": _iso(a.acknowledged_at),
        "acknowledged_via": a.acknowledged_via,
        "resolved_by": a.resolved_by,
        "resolved_at": _iso(a.resolved_at),
        "resolution": a.resolution,
        "detail": a.detail,
    }


def co_view(a: CoAlert) -> dict[str, Any]:
    return {
        "id": alert_ref(a),
        "source": "co",
        "subject": a.device_id,
        "checkpoint_id": None,
        "device_id": a.device_id,
        "message": f"{a.kind} @ {a.device_id}",
        **_common(a),
    }


def cp_view(a: CheckpointAlert) -> dict[str, Any]:
    return {
        "id": alert_ref(a),
        "source": "checkpoint",
        "subject": a.subject,
        "checkpoint_id": a.checkpoint_id,
        "device_id": None,
        "message": a.message,
        "origin": a.origin,
        **_common(a),
    }


def mk_view(a: MarketAlert) -> dict[str, Any]:
    return {
        "id": alert_ref(a),
        "source": "market",
        "subject": a.subject,
        "checkpoint_id": None,
        "device_id": None,
        "message": a.message,
        "point_id": a.point_id,
        **_common(a),
    }


def pt_view(a: PatrolAlert) -> dict[str, Any]:
    return {
        "id": alert_ref(a),
        "source": "patrol",
        "subject": a.subject,
        "checkpoint_id": None,
        "device_id": None,
        "message": a.message,
        "grid_id": a.grid_id,
        "leader_contact_id": a.leader_contact_id,
        **_common(a),
    }


Alert = CoAlert | CheckpointAlert | MarketAlert | PatrolAlert


def alert_view(a: Alert) -> dict[str, Any]:
    """The one serializer of an alert of any kind."""
    if isinstance(a, CoAlert):
        return co_view(a)
    if isinstance(a, PatrolAlert):
        return pt_view(a)
    return mk_view(a) if isinstance(a, MarketAlert) else cp_view(a)


def find_alert(s: Session, alert_id: str) -> Alert | None:
    """The alert a public id (``co-12``, ``cp-7``) names; None also for a malformed id."""
    prefix, _, num = alert_id.partition("-")
    table = {"co": CoAlert, "cp": CheckpointAlert, "mk": MarketAlert, "pt": PatrolAlert}.get(prefix)
    if table is None or not num.isascii() or not num.isdigit() or len(num) > 18:
        return None
    return s.get(table, int(num))


class AlertFilter(BaseModel):
    """What the alert list may be narrowed by (the query of ``GET /alerts``, the dashboard).

    ``active``: not resolved. A time without a zone is UTC.
    """

    status: Literal["open", "acknowledged", "resolved", "active"] | None = None
    source: Literal["co", "checkpoint", "market", "patrol"] | None = None
    kind: str | None = Field(None, max_length=40)
    severity: Literal["critical", "high", "medium", "low", "info"] | None = None
    since: datetime | None = None
    limit: int = Field(200, ge=1, le=5000)

    _utc = field_validator("since")(aware)


def _filtered(model, q, region: str, f: AlertFilter):  # type: ignore[no-untyped-def]
    clauses = [model.region_code.startswith(region)]
    if f.status:
        clauses.append(model.status.in_(ACTIVE if f.status == "active" else (f.status,)))
    clauses += [
        column == value
        for column, value in ((model.kind, f.kind), (model.severity, f.severity))
        if value
    ]
    if f.since:
        clauses.append(model.opened_at >= f.since)
    q = q.where(*clauses)
    return q.order_by(model.opened_at.desc())


def unified_alerts(
    s: Session,
    region: str,
    f: AlertFilter | None = None,
) -> list[dict[str, Any]]:
    """Every kind of alert in a region, newest first."""
    f = f or AlertFilter()
    out: list[dict[str, Any]] = []
    if f.source in (None, "co"):
        q = _filtered(CoAlert, select(CoAlert), region, f)
        out += [co_view(a) for a in s.scalars(q.limit(f.limit))]
    if f.source in (None, "checkpoint"):
        q = _filtered(CheckpointAlert, select(CheckpointAlert), region, f)
        out += [cp_view(a) for a in s.scalars(q.limit(f.limit))]
    if f.source in (None, "market"):
        q = _filtered(MarketAlert, select(MarketAlert), region, f)
        out += [mk_view(a) for a in s.scalars(q.limit(f.limit))]
    if f.source in (None, "patrol"):
        q = _filtered(PatrolAlert, select(PatrolAlert), region, f)
        out += [pt_view(a) for a in s.scalars(q.limit(f.limit))]
    out.sort(key=lambda d: d["opened_at"] or "", reverse=True)
    return out[: f.limit]
