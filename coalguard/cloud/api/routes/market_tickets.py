"""Weighbridge tickets (过磅单): a sales point's clerk posts them; clerks, market staff and
admins read them in their region and print them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from coalguard.cloud import templating
from coalguard.cloud.access import allow, allow_page
from coalguard.cloud.api.deps import ClockDep, RegionQuery, RowId
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.api.routes.dashboard import page_lang
from coalguard.cloud.auth import Operator, Role
from coalguard.cloud.market.ticket_views import TicketOut, printed, ticket_view
from coalguard.cloud.market.tickets import (
    TicketError,
    TicketIn,
    record_ticket,
    ticket_with_point,
    tickets_in,
)
from coalguard.cloud.scope import scoped_region

TICKET_READERS = (Role.ADMIN, Role.MARKET, Role.CLERK)
Clerk = Annotated[Operator, allow(Role.CLERK)]
TicketReader = Annotated[Operator, allow(*TICKET_READERS)]
router = APIRouter(tags=["market"])


class TicketQuery(RegionQuery):
    point: str | None = Field(None, max_length=64)
    plate: str | None = Field(None, max_length=16)
    limit: int = Field(200, ge=1, le=5000)


def _one(request: Request, op: Operator, ticket_id: int) -> Any:
    with request.app.state.sessions() as s:
        found = ticket_with_point(s, ticket_id)
        if found is None or not op.covers(found[0].region_code):
            raise Problem(404, "weighbridge.no_ticket", ticket_id=ticket_id)
        return found


@router.post(
    "/api/v1/market/tickets",
    response_model=TicketOut,
    status_code=201,
    responses=problems(404, 409, 422),
)
def post_ticket(
    request: Request, response: Response, op: Clerk, clock: ClockDep, body: TicketIn
) -> dict[str, Any]:
    """Keep a ticket from two stable weighings; the same ``client_id`` again answers it (200)."""
    with request.app.state.sessions.begin() as s:
        try:
            ticket, new = record_ticket(s, body, op.name, op.covers, clock.now())
        except TicketError as exc:
            raise Problem(exc.status, exc.key, **exc.params) from None
        if not new:
            response.status_code = 200
        return ticket_view(*ticket_with_point(s, ticket.id))  # type: ignore[misc]


@router.get("/api/v1/market/tickets", response_model=list[TicketOut])
def list_tickets(
    request: Request, op: TicketReader, q: Annotated[TicketQuery, Query()]
) -> list[dict[str, Any]]:
    """The region's tickets, newest first (by point, by plate)."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        rows = tickets_in(s, region, point_code=q.point, plate=q.plate, limit=q.limit)
        return [ticket_view(t, p) for t, p in rows]


@router.get("/api/v1/market/tickets/{ticket_id}", response_model=TicketOut, responses=problems(404))
def get_ticket(request: Request, op: TicketReader, ticket_id: RowId) -> dict[str, Any]:
    """One ticket."""
    return ticket_view(*_one(request, op, ticket_id))


@router.get("/market/tickets/{ticket_id}/print", include_in_schema=False)
def print_ticket(
    request: Request, op: Annotated[Operator, allow_page(*TICKET_READERS)], ticket_id: RowId
) -> HTMLResponse:
    """The 过磅单 to print (A5 or a receipt roll), in the reader's language."""
    lang = page_lang(request, op)
    try:
        t, p = _one(request, op, ticket_id)
    except Problem:
        html = templating.render("market/ticket_missing.html", lang, ticket_id=ticket_id)
        return HTMLResponse(html, status_code=404)
    html = templating.render("market/ticket.html", lang, ticket=printed(t, p))
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
