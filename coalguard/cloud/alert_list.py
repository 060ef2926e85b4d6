"""The one alert list: CO alarm alerts and checkpoint alerts, one serializer, one filter.

Ids carry their source: ``co-12`` is a CO alarm alert, ``cp-7`` a checkpoint
alert. The routes (``api/routes/alerts.py``) and the dashboard read alerts here;
state changes follow ``alert_lifecycle.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.alert_lifecycle import alert_ref
from coalguard.cloud.checks.tables import CheckpointAlert
from coalguard.cloud.co.tables import CoAlert


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _common(a: CoAlert | CheckpointAlert) -> dict[str, Any]:
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


Alert = CoAlert | CheckpointAlert


def alert_view(a: Alert) -> dict[str, Any]:
    """The one serializer of an alert of either kind."""
    return co_view(a) if isinstance(a, CoAlert) else cp_view(a)


def find_alert(s: Session, alert_id: str) -> Alert | None:
    """The alert a public id (``co-12``, ``cp-7``) names; None also for a malformed id."""
    prefix, _, num = alert_id.partition("-")
    table = {"co": CoAlert, "cp": CheckpointAlert}.get(prefix)
    if table is None or not num.isascii() or not num.isdigit() or len(num) > 18:
        return None
    return s.get(table, int(num))


def _filtered(model, q, region, status, kind, severity, since):  # type: ignore[no-untyped-def]
    q = q.where(model.region_code.startswith(region))
    if status == "active":
        q = q.where(model.status.in_(("open", "acknowledged")))
    elif status:
        q = q.where(model.status == status)
    if kind:
        q = q.where(model.kind == kind)
    if severity:
        q = q.where(model.severity == severity)
    if since:
        q = q.where(model.opened_at >= since)
    return q.order_by(model.opened_at.desc())


def unified_alerts(
    s: Session,
    region: str,
    *,
    status: str | None = None,
    source: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Both kinds of alert in a region, newest first."""
    out: list[dict[str, Any]] = []
    if source in (None, "co"):
        q = _filtered(CoAlert, select(CoAlert), region, status, kind, severity, since)
        out += [co_view(a) for a in s.scalars(q.limit(limit))]
    if source in (None, "checkpoint"):
        q = _filtered(
            CheckpointAlert, select(CheckpointAlert), region, status, kind, severity, since
        )
        out += [cp_view(a) for a in s.scalars(q.limit(limit))]
    out.sort(key=lambda d: d["opened_at"] or "", reverse=True)
    return out[:limit]
