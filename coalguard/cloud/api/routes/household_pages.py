"""The household register pages (``/households…``): coverage per village with the
households of one village, one household (masked; reveal audited through the API),
and the import page. Mobile-friendly templates of ``cloud/templates/dashboard/``;
writes go through the API (``households.js``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from coalguard.cloud.access import HOUSEHOLD_EDITORS, HOUSEHOLD_READERS, allow_page
from coalguard.cloud.api.deps import RowId
from coalguard.cloud.api.routes.dashboard import not_found_page, render_page
from coalguard.cloud.api.routes.households import household_in_scope
from coalguard.cloud.auth import Operator
from coalguard.cloud.dashboard import household_pages
from coalguard.cloud.households.schemas import detail_of
from coalguard.cloud.households.vocabulary import vocabulary

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Operator, allow_page(*HOUSEHOLD_READERS)]
Editor = Annotated[Operator, allow_page(*HOUSEHOLD_EDITORS)]


@router.get("/households")
def register_page(request: Request, op: Viewer, village: str | None = None) -> Response:
    with request.app.state.sessions() as s:
        view = household_pages.register_view(s, op, village)
    return render_page(request, "households.html", op, view=view, powers=household_pages.powers(op))


@router.get("/households/import")
def import_page(request: Request, op: Editor) -> Response:
    return render_page(
        request, "households_import.html", op, columns=household_pages.import_columns()
    )


@router.get("/households/{household_id}")
def household_page(request: Request, op: Viewer, household_id: RowId) -> Response:
    with request.app.state.sessions() as s:
        try:
            h = detail_of(s, household_in_scope(s, op, household_id))
        except HTTPException:
            return not_found_page(request, op, "households.page_not_found", str(household_id))
    return render_page(
        request,
        "household.html",
        op,
        h=h,
        words=vocabulary(),
        powers=household_pages.powers(op),
    )
