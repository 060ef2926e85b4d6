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


def sweep_lab_deadlines(s: Session, now: datetime) -> int:
    """Raise one alert per overdue lab step not alerted yet; returns how many."""
    n = 0
    for lab in s.scalars(
        select(LabSample).where(
            LabSample.dispatched_at.is_(None),
            LabSample.dispatch_due < now,
            LabSample.dispatch_alerted.is_(False),
        )
    ):
        lab.dispatch_alerted = True
        cp_alerts.raise_alert(
            s,
            checkpoint_id=lab.checkpoint_id,
            region_code=lab.region_code,
            kind="lab.dispatch_overdue",
            subject=lab.sample_id,
            message=f"lab sample {lab.sample_id} not sent to the lab by {lab.dispatch_due}",
            at=now,
            origin="cloud",
            detail={"due": lab.dispatch_due.isoformat() if lab.dispatch_due else None},
        )
        n += 1
    for lab in s.scalars(
        select(LabSample).where(
            LabSample.received_at.is_not(None),
            LabSample.reported_at.is_(None),
            LabSample.report_due < now,
            LabSample.report_alerted.is_(False),
        )
    ):
        lab.report_alerted = True
        cp_alerts.raise_alert(
            s,
            checkpoint_id=lab.checkpoint_id,
            region_code=lab.region_code,
            kind="lab.report_overdue",
            subject=lab.sample_id,
            message=f"lab report for {lab.sample_id} not received by {lab.report_due}",
            at=now,
            origin="cloud",
            detail={"due": lab.report_due.isoformat() if lab.report_due else None},
        )
        n += 1
    return n
