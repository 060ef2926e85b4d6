"""Checkpoint alerts: raised, cleared and escalated; the lifecycle is ``cloud/alert_lifecycle.py``.

Raised by gateways (``alert.raised`` records) or by the cloud itself (lab
deadlines, verdict disagreement). One active alert per (checkpoint, kind,
subject): a repeat counts an occurrence. Unacknowledged alerts escalate one
level per ``ESCALATE_AFTER`` of their severity. None resolves itself: the
gateway's "cleared" only marks it, a person resolves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.alert_lifecycle import ACTIVE, OPEN
from coalguard.cloud.checks.tables import CheckpointAlert, RegionOffice

SEVERITY: dict[str, str] = {
    "verdict.disagreement": "critical",
    "profiles.version_gap": "medium",
    "lab.failed": "high",
    "checkpoint.seizure": "high",
    "lab.dispatch_overdue": "high",
    "lab.report_overdue": "high",
    "analyzer.offline": "high",
    "analyzer.fault": "high",
    "camera.silent": "medium",
    "camera.bypass": "high",
    "outbox.backlog": "medium",
    "gateway.foreign_checkpoint": "high",
    "ledger.fork": "high",
    "ledger.tampered": "high",
}
DEFAULT_SEVERITY = "medium"
ESCALATE_AFTER: dict[str, timedelta] = {
    "critical": timedelta(minutes=15),
    "high": timedelta(hours=1),
    "medium": timedelta(hours=4),
}
MAX_LEVEL = 3


def ever_raised(s: Session, checkpoint_id: str, kind: str, subject: str) -> bool:
    """Whether such an alert was ever raised, whatever became of it."""
    return (
        s.scalar(
            select(CheckpointAlert.id).where(
                CheckpointAlert.checkpoint_id == checkpoint_id,
                CheckpointAlert.kind == kind,
                CheckpointAlert.subject == subject,
            )
        )
        is not None
    )


def raise_alert(
    s: Session,
    *,
    checkpoint_id: str,
    region_code: str,
    kind: str,
    subject: str,
    message: str,
    at: datetime,
    origin: str,
    detail: dict[str, Any] | None = None,
) -> CheckpointAlert:
    match = {"checkpoint_id": checkpoint_id, "kind": kind, "subject": subject}
    fields = {"region_code": region_code, "origin": origin, "message": message}
    severity = SEVERITY.get(kind, DEFAULT_SEVERITY)
    return lifecycle.raise_or_recur(  # type: ignore[return-value]
        s, CheckpointAlert, match, at, detail, severity=severity, **fields
    )


def clear_alert(s: Session, checkpoint_id: str, kind: str, subject: str, at: datetime) -> int:
    """The condition went away at the checkpoint; someone still resolves it."""
    n = 0
    for a in s.scalars(
        select(CheckpointAlert).where(
            CheckpointAlert.checkpoint_id == checkpoint_id,
            CheckpointAlert.kind == kind,
            CheckpointAlert.subject == subject,
            CheckpointAlert.status.in_(ACTIVE),
        )
    ):
        lifecycle.clear(a, at, auto_resolve=False, cause="gateway")
        n += 1
    return n


def escalate_due(s: Session, now: datetime) -> int:
    """Raise the level of open alerts nobody acknowledged in time."""
    n = 0
    for a in s.scalars(select(CheckpointAlert).where(CheckpointAlert.status == OPEN)):
        step = ESCALATE_AFTER.get(a.severity)
        if step is None or a.escalation_level >= MAX_LEVEL:
            continue
        due = a.opened_at + step * (a.escalation_level + 1)
        if now >= due:
            a.escalation_level += 1
            a.updated_at = now
            n += 1
    return n


def office_for(s: Session, region_code: str) -> RegionOffice | None:
    """The air-pollution office of the longest registered prefix of ``region_code``."""
    prefixes = [region_code[:k] for k in range(len(region_code), 0, -1)]
    offices = {o.region_code: o for o in s.scalars(select(RegionOffice))}
    for p in prefixes:
        if p in offices:
            return offices[p]
    return None
