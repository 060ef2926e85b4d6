"""Casework (docs/cases.md): rewarded tips traced to a case and its regions notified,
the reward decided; the issue ledger (问题台账) with deadlines and escalation; the zones'
loose-coal findings and their clearance (动态清零). Cases are the market's
(``/api/v1/market/cases``): a tip opens one here, and it is accepted, escalated and
closed there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session

from coalguard.cloud.access import CASE_OFFICERS, CASE_READERS, CASEWORKERS, allow
from coalguard.cloud.api.deps import ClockDep, RegionQuery, RowId, one_in_region
from coalguard.cloud.api.responses import problems
from coalguard.cloud.api.routes.market_cases import case_out
from coalguard.cloud.auth import Operator
from coalguard.cloud.casework import clearance, ledger, tips
from coalguard.cloud.casework.rules import load_casework_rules
from coalguard.cloud.casework.schemas import (
    ClearIn,
    CloseIn,
    LedgerItemIn,
    LedgerItemOut,
    RewardIn,
    TipCaseIn,
    TipIn,
    TipNoticeIn,
    TipNoticeOut,
    TipOut,
    ZoneClearanceOut,
    ZoneFindingIn,
    ZoneFindingOut,
)
from coalguard.cloud.casework.tables import LedgerItem, Tip, ZoneFinding
from coalguard.cloud.households.tables import Household
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.sales_schemas import CaseOut
from coalguard.cloud.scope import scoped_region

router = APIRouter(prefix="/api/v1", tags=["casework"])

Worker = Annotated[Operator, allow(*CASEWORKERS)]
Officer = Annotated[Operator, allow(*CASE_OFFICERS)]
Reader = Annotated[Operator, allow(*CASE_READERS)]


def tip_out(s: Session, tip: Tip) -> TipOut:
    out = TipOut.model_validate(tip)
    out.notices = [TipNoticeOut.model_validate(n) for n in tips.notices_of(s, tip.id)]
    return out


def tip_for(s: Session, op: Operator, tip_id: int) -> Tip:
    return one_in_region(
        s, op, Tip, tip_id, lambda r: r.region_code, "tips.tip_unknown", tip=tip_id
    )


def item_for(s: Session, op: Operator, item_id: int) -> LedgerItem:
    return one_in_region(
        s, op, LedgerItem, item_id, lambda r: r.region_code, "ledger.item_unknown", item=item_id
    )


@router.post("/tips", status_code=201, response_model=TipOut)
def record_tip(request: Request, op: Worker, clock: ClockDep, body: TipIn) -> TipOut:
    """A tip received (有奖举报); the tipster's contact is sealed, shown masked."""
    region = scoped_region(op, body.region_code)
    with request.app.state.sessions.begin() as s:
        tip = tips.record_tip(
            s,
            load_casework_rules(),
            request.app.state.keyring,
            region_code=region,
            channel=body.channel,
            content=body.content,
            contact=body.contact,
            source=body.source,
            destination=body.destination,
            by=op.name,
            now=clock.now(),
        )
        return tip_out(s, tip)


@router.get("/tips", response_model=list[TipOut])
def list_tips(request: Request, op: Reader, q: Annotated[RegionQuery, Query()]) -> list[TipOut]:
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return [tip_out(s, t) for t in tips.tips_in(s, region)]


@router.get("/tips/{tip_id}", response_model=TipOut, responses=problems(404))
def get_tip(request: Request, op: Reader, tip_id: RowId) -> TipOut:
    with request.app.state.sessions() as s:
        return tip_out(s, tip_for(s, op, tip_id))


@router.post(
    "/tips/{tip_id}/notices", status_code=201, response_model=TipNoticeOut, responses=problems(404)
)
def notify_region(
    request: Request, op: Worker, clock: ClockDep, tip_id: RowId, body: TipNoticeIn
) -> TipNoticeOut:
    """Another region (the coal's source or destination) told of the tip: once each."""
    with request.app.state.sessions.begin() as s:
        row = tips.notify_region(
            s, tip_for(s, op, tip_id), body.region_code, body.note, op.name, clock.now()
        )
        return TipNoticeOut.model_validate(row)


@router.post(
    "/tips/{tip_id}/case", status_code=201, response_model=CaseOut, responses=problems(404)
)
def open_case(
    request: Request, op: Officer, clock: ClockDep, tip_id: RowId, body: TipCaseIn
) -> CaseOut:
    """The tip's case at 限期整改 with its rectification deadline."""
    with request.app.state.sessions.begin() as s:
        case = tips.open_case_from_tip(
            s,
            tip_for(s, op, tip_id),
            load_sales_rules(),
            subject_kind=body.subject_kind,
            subject_ref=body.subject_ref,
            violation=body.violation,
            deadline=body.deadline,
            by=op.name,
            now=clock.now(),
        )
        return case_out(s, case)


@router.post("/tips/{tip_id}/reward", response_model=TipOut, responses=problems(404))
def set_reward(
    request: Request, op: Worker, clock: ClockDep, tip_id: RowId, body: RewardIn
) -> TipOut:
    """The reward moves on (approved once the case is closed, paid, or refused)."""
    with request.app.state.sessions.begin() as s:
        tip = tips.set_reward(
            s, tip_for(s, op, tip_id), load_casework_rules(), body.status, body.note, clock.now()
        )
        return tip_out(s, tip)


@router.post("/ledger", status_code=201, response_model=LedgerItemOut)
def add_item(request: Request, op: Worker, clock: ClockDep, body: LedgerItemIn) -> LedgerItemOut:
    """A problem on the ledger; major and joint ones go up a level by the rule."""
    region = scoped_region(op, body.region_code)
    with request.app.state.sessions.begin() as s:
        item = ledger.add_item(
            s,
            load_casework_rules(),
            region_code=region,
            title=body.title,
            detail=body.detail,
            deadline=body.deadline,
            major=body.major,
            joint=body.joint,
            case_id=body.case_id,
            tip_id=body.tip_id,
            by=op.name,
            now=clock.now(),
        )
        return LedgerItemOut.model_validate(item)


class LedgerQuery(RegionQuery):
    status: str | None = Field(None, pattern="^(open|closed)$")


@router.get("/ledger", response_model=list[LedgerItemOut])
def list_items(
    request: Request, op: Reader, q: Annotated[LedgerQuery, Query()]
) -> list[LedgerItemOut]:
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return [LedgerItemOut.model_validate(i) for i in ledger.items_in(s, region, q.status)]


@router.post("/ledger/{item_id}/escalate", response_model=LedgerItemOut, responses=problems(404))
def escalate(request: Request, op: Worker, clock: ClockDep, item_id: RowId) -> LedgerItemOut:
    """Up one level (village → township → county → city)."""
    with request.app.state.sessions.begin() as s:
        item = ledger.escalate(
            s, item_for(s, op, item_id), load_casework_rules(), op.name, clock.now()
        )
        return LedgerItemOut.model_validate(item)


@router.post("/ledger/{item_id}/close", response_model=LedgerItemOut, responses=problems(404))
def close_item(
    request: Request, op: Worker, clock: ClockDep, item_id: RowId, body: CloseIn
) -> LedgerItemOut:
    with request.app.state.sessions.begin() as s:
        item = ledger.close_item(s, item_for(s, op, item_id), op.name, clock.now(), body.note)
        return LedgerItemOut.model_validate(item)


@router.post("/zone-findings", status_code=201, response_model=ZoneFindingOut)
def record_finding(
    request: Request, op: Worker, clock: ClockDep, body: ZoneFindingIn
) -> ZoneFindingOut:
    """Loose coal at a household of a zone's village: open until cleared."""
    with request.app.state.sessions.begin() as s:
        household = None
        if body.household_id is not None:
            household = one_in_region(
                s, op, Household, body.household_id, lambda r: r.village_code,
                "ledger.household_unknown", household=body.household_id,
            )  # fmt: skip
        else:
            scoped_region(op, body.village or "")
        row = clearance.record_finding(
            s,
            household=household,
            village=body.village,
            household_ref=body.household_ref,
            note=body.note,
            by=op.name,
            now=clock.now(),
        )
        return ZoneFindingOut.model_validate(row)


@router.post(
    "/zone-findings/{finding_id}/clear", response_model=ZoneFindingOut, responses=problems(404)
)
def clear_finding(
    request: Request, op: Worker, clock: ClockDep, finding_id: RowId, body: ClearIn
) -> ZoneFindingOut:
    with request.app.state.sessions.begin() as s:
        row = one_in_region(
            s, op, ZoneFinding, finding_id, lambda r: r.region_code,
            "ledger.finding_unknown", finding=finding_id,
        )  # fmt: skip
        row = clearance.clear_finding(s, row, body.clearance, op.name, clock.now())
        return ZoneFindingOut.model_validate(row)


@router.get("/zone-clearance", response_model=list[ZoneClearanceOut])
def zone_clearance(
    request: Request, op: Reader, q: Annotated[RegionQuery, Query()]
) -> list[ZoneClearanceOut]:
    """Per zone: open loose-coal findings (must reach 0) and the items."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return [
            ZoneClearanceOut(
                area_id=z.area_id,
                name=z.name,
                kind=z.kind,
                region_code=z.region_code,
                open_count=z.open_count,
                cleared_count=z.cleared_count,
                open_items=[ZoneFindingOut.model_validate(f) for f in z.open_items],
            )
            for z in clearance.clearance(s, region)
        ]
