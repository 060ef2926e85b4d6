"""Referral routes: every role reads its region's cases; the office acknowledges."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.api.deps import ClockDep, Office, Reader
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import Operator
from coalguard.cloud.referrals import cases
from coalguard.cloud.referrals.cases import iso
from coalguard.cloud.referrals.schemas import AckIn, ReferralDetail, ReferralOut
from coalguard.cloud.referrals.tables import ReferralCase, ReferralMessage
from coalguard.cloud.scope import scoped_region

router = APIRouter(prefix="/api/v1", tags=["referrals"])
Status = Literal["open", "acknowledged"]


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
        "opened_at": iso(c.opened_at),
        "reminders": c.reminders,
        "next_reminder_at": iso(c.next_reminder_at),
        "acknowledged_by": c.acknowledged_by,
        "acknowledged_at": iso(c.acknowledged_at),
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
                "created_at": iso(m.created_at),
                "sent_at": iso(m.sent_at),
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


def _case(s: Session, op: Operator, case_id: int) -> ReferralCase:
    c = s.get(ReferralCase, case_id)
    if c is None or not op.covers(c.region_code):
        raise Problem(404, "no_referral", case_id=case_id)
    return c


@router.get("/referrals", response_model=list[ReferralOut])
def list_referrals(
    request: Request,
    op: Reader,
    region: str | None = None,
    status: Status | None = None,
    limit: int = Query(200, ge=1, le=5000),
) -> list[dict[str, Any]]:
    """Failing lab reports referred to the air-pollution office, and whether it has them."""
    region = scoped_region(op, region)
    with request.app.state.sessions() as s:
        return [case_view(c) for c in cases_in(s, region, status, limit)]


@router.get("/referrals/{case_id}", response_model=ReferralDetail, responses=problems(404))
def get_referral(request: Request, op: Reader, case_id: int) -> dict[str, Any]:
    """One case with its packet (inspection, verdicts, notice, custody) and its sendings."""
    with request.app.state.sessions() as s:
        return case_detail(s, _case(s, op, case_id))


@router.post(
    "/referrals/{case_id}/ack", response_model=ReferralDetail, responses=problems(404, 409)
)
def acknowledge_referral(
    request: Request, op: Office, clock: ClockDep, case_id: int, body: AckIn | None = None
) -> dict[str, Any]:
    """The office acknowledges the case: it stops being re-sent."""
    with request.app.state.sessions.begin() as s:
        c = _case(s, op, case_id)
        try:
            cases.acknowledge(c, op.name, clock.now(), body.note if body else None)
        except cases.AlreadyAcknowledged:
            raise Problem(
                409, "referral_acknowledged", case_id=case_id, by=c.acknowledged_by or ""
            ) from None
        return case_detail(s, c)
