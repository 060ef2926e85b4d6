"""Lab deadlines watched by the cloud too: 24 h to send, 2 days to report.

The gateway raises the same alerts when it is online; the cloud's sweep
catches a checkpoint that went quiet with a sample pending. Both land on one
alert (same checkpoint, kind and sample id).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.checks.tables import LabSample

# One row per watched step: which samples are overdue, the flag that records
# the alert was raised, the alert kind, the deadline column and the message.
_STEPS = (
    (
        (LabSample.dispatched_at.is_(None),),
        "dispatch_alerted",
        "lab.dispatch_overdue",
        "dispatch_due",
        "lab sample {id} not sent to the lab by {due}",
    ),
    (
        (LabSample.received_at.is_not(None), LabSample.reported_at.is_(None)),
        "report_alerted",
        "lab.report_overdue",
        "report_due",
        "lab report for {id} not received by {due}",
    ),
)


def sweep_lab_deadlines(s: Session, now: datetime) -> int:
    """Raise one alert per overdue lab step not alerted yet; returns how many."""
    n = 0
    for pending, flag, kind, due_column, message in _STEPS:
        due_col = getattr(LabSample, due_column)
        overdue = select(LabSample).where(
            *pending, due_col < now, getattr(LabSample, flag).is_(False)
        )
        for lab in s.scalars(overdue):
            setattr(lab, flag, True)
            due = getattr(lab, due_column)
            cp_alerts.raise_alert(
                s,
                checkpoint_id=lab.checkpoint_id,
                region_code=lab.region_code,
                kind=kind,
                subject=lab.sample_id,
                message=message.format(id=lab.sample_id, due=due),
                at=now,
                origin="cloud",
                detail={"due": due.isoformat() if due else None},
            )
            n += 1
    return n
