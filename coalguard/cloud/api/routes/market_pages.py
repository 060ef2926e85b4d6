"""The sales desk pages: a point's books (``/market/points/{id}/books``: the clerk's
forms, stock, findings, forms) and the clerk's way in (``/market/desk``: their point)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from coalguard.cloud.access import BOOK_READERS, SALES_RECORDERS, allow_page
from coalguard.cloud.api.routes.dashboard import render_page
from coalguard.cloud.api.routes.market_sales import point_for
from coalguard.cloud.auth import Operator
from coalguard.cloud.dashboard.sales_pages import books_page
from coalguard.cloud.market.sales import clerk_point

router = APIRouter(include_in_schema=False)
BookViewer = Annotated[Operator, allow_page(*BOOK_READERS)]
Clerk = Annotated[Operator, allow_page(*SALES_RECORDERS)]
# A refusal of ``point_for`` as the page words it: catalog key, the parameter shown.
PAGE_REFUSALS = {
    "market_sales.clerk_other_point": ("market_sales.page_other_point", "point"),
    "market_sales.no_point": ("market_sales.no_point", ""),
    "": ("market_sales.page_point_unknown", ""),
}


@router.get("/market/desk")
def desk(request: Request, op: Clerk) -> Response:
    """A clerk's own point's books, or a page saying no point is assigned yet."""
    with request.app.state.sessions() as s:
        p = clerk_point(s, op.name)
    if p is None:
        return render_page(
            request,
            "not_found.html",
            op,
            http_status=404,
            message="market_sales.no_point",
            subject="",
        )
    return RedirectResponse(f"/market/points/{p.id}/books", status_code=303)


@router.get("/market/points/{point_id}/books")
def books(request: Request, op: BookViewer, point_id: int) -> Response:
    with request.app.state.sessions() as s:
        try:
            p = point_for(s, op, point_id)
        except HTTPException as e:
            key, subject = PAGE_REFUSALS.get(getattr(e, "key", ""), PAGE_REFUSALS[""])
            params = getattr(e, "params", {})
            return render_page(
                request,
                "not_found.html",
                op,
                http_status=e.status_code,
                message=key,
                subject=str(params.get(subject, point_id)),
            )
        page = books_page(s, op, p)
    return render_page(request, "market_books.html", op, page=page)
