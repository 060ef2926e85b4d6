"""Sales-point books: purchases and five-part forms (the point's clerk), the books and
findings (clerk of the point, market supervision, admins), the audited buyer reveal,
and clerks assigned to points (docs/market.md#purchases-and-sales)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud import audit
from coalguard.cloud.access import (
    BOOK_READERS,
    BUYER_REVEALERS,
    CASE_OFFICERS,
    SALES_RECORDERS,
    allow,
)
from coalguard.cloud.api.deps import ClockDep, RowId
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import CloudUser, Operator, Role
from coalguard.cloud.market.books import books_view
from coalguard.cloud.market.findings import check_sale
from coalguard.cloud.market.points import MarketError, may_record_sales
from coalguard.cloud.market.sales import (
    PurchaseIn,
    SaleIn,
    assign_clerk,
    clerk_point,
    open_buyer,
    record_purchase,
    record_sale,
)
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.sales_schemas import (
    BooksOut,
    BuyerRevealOut,
    ClerkOut,
    FindingOut,
    PurchaseOut,
    SaleOut,
    SaleRecorded,
)
from coalguard.cloud.market.sales_tables import Sale
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.market.ticket_link import ticket_facts
from coalguard.cloud.privacy import for_caller

router = APIRouter(prefix="/api/v1/market", tags=["market sales"])

Recorder = Annotated[Operator, allow(*SALES_RECORDERS)]
BookReader = Annotated[Operator, allow(*BOOK_READERS)]
BuyerRevealer = Annotated[Operator, allow(*BUYER_REVEALERS)]
CaseOfficer = Annotated[Operator, allow(*CASE_OFFICERS)]


def point_for(s: Session, op: Operator, point_id: int) -> BusinessPoint:
    """The point, when the caller may see its books: in their region, and a clerk's own."""
    p = s.get(BusinessPoint, point_id)
    if p is None or not op.covers(p.region_code):
        raise Problem(404, "market_sales.point_unknown", point=point_id)
    if op.role == Role.CLERK:
        own = clerk_point(s, op.name)
        if own is None:
            raise Problem(403, "market_sales.no_point")
        if own.id != p.id:
            raise Problem(403, "market_sales.clerk_other_point", point=own.code)
    return p


@router.get("/points/{point_id}/books", response_model=BooksOut, responses=problems(403, 404))
def get_books(request: Request, op: BookReader, point_id: RowId) -> JSONResponse:
    """A point's purchases, sales (buyers masked), stock per coal type and findings."""
    with request.app.state.sessions() as s:
        view = books_view(s, point_for(s, op, point_id))
        return JSONResponse(for_caller(view, op.sees_personal_data))


@router.post(
    "/points/{point_id}/purchases",
    status_code=201,
    response_model=PurchaseOut,
    responses=problems(403, 404),
)
def post_purchase(
    request: Request, op: Recorder, clock: ClockDep, point_id: RowId, body: PurchaseIn
) -> PurchaseOut:
    """An inbound record: contract, supplier, quality report, tonnes, coal type."""
    with request.app.state.sessions.begin() as s:
        p = point_for(s, op, point_id)
        return PurchaseOut.model_validate(record_purchase(s, p, body, op.name, clock.now()))


@router.post(
    "/points/{point_id}/sales",
    status_code=201,
    response_model=SaleRecorded,
    responses=problems(403, 404, 409),
)
def post_sale(
    request: Request, op: Recorder, clock: ClockDep, point_id: RowId, body: SaleIn
) -> JSONResponse:
    """One five-part form with its weighbridge ticket; answers the findings it made."""
    now = clock.now()
    with request.app.state.sessions.begin() as s:
        p = point_for(s, op, point_id)
        allowed = may_record_sales(p)
        if not allowed:
            reason = MarketError(allowed.reason or "")
            raise Problem(409, "market_sales.point_may_not_sell", code=p.code, reason=reason)
        ticket = ticket_facts(s, body.ticket_id)
        if ticket is None:
            raise Problem(422, "market_sales.ticket_unknown", ticket=body.ticket_id)
        if ticket.point_id != p.id:
            raise Problem(422, "market_sales.ticket_other_point", ticket=body.ticket_id)
        if s.scalar(select(Sale.id).where(Sale.ticket_id == ticket.ticket_id)) is not None:
            raise Problem(409, "market_sales.ticket_used", ticket=ticket.ticket_id)
        body = body.model_copy(update={"ticket_id": ticket.ticket_id})
        sale = record_sale(s, p, body, request.app.state.keyring, op.name, now, ticket.net_t)
        found = check_sale(s, p, sale, load_sales_rules(), now)
        view = SaleRecorded(
            sale=SaleOut.model_validate(sale),
            findings=[FindingOut.model_validate(f) for f in found],
        )
        return JSONResponse(for_caller(view, op.sees_personal_data), 201)


@router.post("/sales/{sale_id}/reveal", response_model=BuyerRevealOut, responses=problems(403, 404))
def reveal_buyer(
    request: Request, op: BuyerRevealer, clock: ClockDep, sale_id: RowId
) -> BuyerRevealOut:
    """The plain ID number and phone of one sale's buyer; the audit log records who asked
    for which, and when. A clerk reveals only their own point's buyers."""
    with request.app.state.sessions.begin() as s:
        sale = s.get(Sale, sale_id)
        if sale is None or not op.covers(sale.region_code):
            raise Problem(404, "market_sales.sale_unknown", sale=sale_id)
        point_for(s, op, sale.point_id)
        buyer_id, phone = open_buyer(sale, request.app.state.keyring)
        audit.record(
            s,
            op.name,
            f"reveal buyer of sale {sale.id}",
            role=op.role,
            actor_region=op.region_prefix,
            status=200,
            detail={"sale_id": sale.id, "point_id": sale.point_id, "serial_no": sale.serial_no},
            at=clock.now(),
        )
    return BuyerRevealOut(sale_id=sale_id, buyer_id=buyer_id, buyer_phone=phone)


class ClerkIn(BaseModel):
    user_name: str = Field(min_length=1, max_length=64)


@router.put("/points/{point_id}/clerk", response_model=ClerkOut, responses=problems(403, 404, 422))
def put_clerk(
    request: Request, op: CaseOfficer, clock: ClockDep, point_id: RowId, body: ClerkIn
) -> ClerkOut:
    """Make a clerk user the one who records this point's books."""
    with request.app.state.sessions.begin() as s:
        p = point_for(s, op, point_id)
        user = s.scalars(select(CloudUser).where(CloudUser.name == body.user_name)).first()
        if (
            user is None
            or user.role != Role.CLERK
            or not p.region_code.startswith(user.region_prefix)
        ):
            raise Problem(422, "market_sales.not_a_clerk", user=body.user_name, point=p.code)
        assign_clerk(s, user.name, p, op.name, clock.now())
    return ClerkOut(user_name=body.user_name, point_id=point_id)
