"""Referral routes: every role reads its region's cases; the office acknowledges."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session

from coalguard.cloud.api.deps import ClockDep, Office, Reader, RegionQuery, RowId
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import Operator
from coalguard.cloud.referrals import cases
from coalguard.cloud.referrals.queries import case_detail, case_view, cases_in
from coalguard.cloud.referrals.schemas import AckIn, ReferralDetail, ReferralOut
from coalguard.cloud.referrals.tables import ReferralCase
from coalguard.cloud.scope import scoped_region

router = APIRouter(prefix="/api/v1", tags=["referrals"])
Status = Literal["open", "acknowledged"]


def _case(s: Session, op: Operator, case_id: int) -> ReferralCase:
    c = s.get(ReferralCase, case_id)
    if c is None or not op.covers(c.region_code):
        raise Problem(404, "no_referral", case_id=case_id)
    return c


class ReferralQuery(RegionQuery):
    status: Status | None = None
    limit: int = Field(200, ge=1, le=5000)


@router.get("/referrals", response_model=list[ReferralOut])
def list_referrals(
    request: Request, op: Reader, q: Annotated[ReferralQuery, Query()]
) -> list[dict[str, Any]]:
    """Failing lab reports referred to the air-pollution office, and whether it has them."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return [case_view(c) for c in cases_in(s, region, q.status, q.limit)]


@router.get("/referrals/{case_id}", response_model=ReferralDetail, responses=problems(404))
def get_referral(request: Request, op: Reader, case_id: RowId) -> dict[str, Any]:
    """One case with its packet (inspection, verdicts, notice, custody) and its sendings."""
    with request.app.state.sessions() as s:
        return case_detail(s, _case(s, op, case_id))


@router.post(
    "/referrals/{case_id}/ack", response_model=ReferralDetail, responses=problems(404, 409)
)
def acknowledge_referral(
    request: Request, op: Office, clock: ClockDep, case_id: RowId, body: AckIn | None = None
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
