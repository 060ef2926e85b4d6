"""Reading referral cases: the region's list and one case with its sendings, as dicts
the routes and the dashboard page hand out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.referrals.tables import ReferralCase, ReferralMessage
from coalguard.edge.plain import iso_or_none


def case_view(c: ReferralCase) -> dict[str, Any]:
    return {
        "id": c.id,
        "lab_sample_id": c.lab_sample_id,
        "inspection_id": c.inspection_id,
        "checkpoint_id": c.checkpoint_id,
        "region_code": c.region_code,
        "plate": c.plate,
        "office": c.office,
        "status": c.status,
        "opened_at": iso_or_none(c.opened_at),
        "reminders": c.reminders,
        "next_reminder_at": iso_or_none(c.next_reminder_at),
        "acknowledged_by": c.acknowledged_by,
        "acknowledged_at": iso_or_none(c.acknowledged_at),
        "ack_note": c.ack_note,
    }


def case_detail(s: Session, c: ReferralCase) -> dict[str, Any]:
    messages = s.scalars(
        select(ReferralMessage).where(ReferralMessage.case_id == c.id).order_by(ReferralMessage.id)
    )
    return {
        **case_view(c),
        "packet": c.packet,
        "messages": [
            {
                "id": m.id,
                "channel": m.channel,
                "reason": m.reason,
                "status": m.status,
                "attempts": m.attempts,
                "created_at": iso_or_none(m.created_at),
                "sent_at": iso_or_none(m.sent_at),
                "last_error": m.last_error,
            }
            for m in messages
        ],
    }


def cases_in(
    s: Session, region: str, status: str | None = None, limit: int = 200
) -> list[ReferralCase]:
    """The region's cases, open ones first, newest first."""
    q = select(ReferralCase).where(ReferralCase.region_code.startswith(region))
    if status:
        q = q.where(ReferralCase.status == status)
    q = q.order_by(ReferralCase.status.desc(), ReferralCase.opened_at.desc()).limit(limit)
    return list(s.scalars(q))
