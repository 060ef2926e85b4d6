"""The coal-market pages (``/market…``): points, one point, plans and tasks, one task,
the rates and the public list of failing results; a point's books
(``/market/points/{id}/books``: the clerk's forms, stock, findings), the clerk's way
in (``/market/desk``: their point) and the region's cases (``/market/cases``).
Mobile-friendly templates of ``cloud/templates/dashboard/``; writes go through the API
(``market.js``, ``market_sales.js``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.exceptions import HTTPException

from coalguard.cloud.access import (
    BOOK_READERS,
    CASE_OFFICERS,
    CASE_READERS,
    SALES_RECORDERS,
    allow_page,
)
from coalguard.cloud.api.deps import RowId
from coalguard.cloud.api.routes.dashboard import Viewer, not_found_page, render_page
from coalguard.cloud.api.routes.market import task_view
from coalguard.cloud.api.routes.market_sales import point_for
from coalguard.cloud.auth import Operator
from coalguard.cloud.dashboard import market_pages
from coalguard.cloud.dashboard.sales_pages import books_page
from coalguard.cloud.market.rates import failing_results, period_of, rates
from coalguard.cloud.market.sales import clerk_point
from coalguard.cloud.market.schemas import point_out
from coalguard.cloud.market.tables import BusinessPoint, SamplingTask
from coalguard.cloud.market.vocabulary import vocabulary
from coalguard.cloud.privacy import for_caller
from coalguard.edge.clock import LOCAL_TZ
from coalguard.edge.quality.profiles import COAL_TYPES

router = APIRouter(include_in_schema=False)
BookViewer = Annotated[Operator, allow_page(*BOOK_READERS)]
Clerk = Annotated[Operator, allow_page(*SALES_RECORDERS)]
CaseViewer = Annotated[Operator, allow_page(*CASE_READERS)]
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
def books(request: Request, op: BookViewer, point_id: RowId) -> Response:
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


def _words() -> dict[str, Any]:
    v = vocabulary()
    return {
        "kinds": v.kinds,
        "statuses": v.statuses,
        "facilities": v.facilities,
        "zones": v.zones,
        "pending_changes": v.pending_changes,
        "phases": [p.id for p in v.calendar.phases],
        "coal_types": COAL_TYPES,
    }


def _period(request: Request, year: int | None, phase: str | None) -> Any:
    today = request.app.state.clock.now().astimezone(LOCAL_TZ).date()
    year = year if year and 2000 <= year <= 2999 else today.year
    phases = [p.id for p in vocabulary().calendar.phases]
    return period_of(year, phase if phase in phases else None)


@router.get("/market")
def points_page(request: Request, op: Viewer, kind: str | None = None) -> Response:
    """The business points of the user's region, the form to add one, the import."""
    kind = kind if kind in vocabulary().kinds else None
    with request.app.state.sessions() as s:
        rows = market_pages.point_rows(s, op, kind)
    return render_page(
        request,
        "market/points.html",
        op,
        kind=kind,
        points=rows,
        words=_words(),
        powers=market_pages.powers(op),
    )


@router.get("/market/points/{point_id}")
def point_page(request: Request, op: Viewer, point_id: RowId) -> Response:
    with request.app.state.sessions() as s:
        p = s.get(BusinessPoint, point_id)
        if p is None or not op.covers(p.region_code):
            return not_found_page(request, op, "market.point_missing", str(point_id))
        tasks = s.scalars(
            select(SamplingTask)
            .where(SamplingTask.point_id == p.id)
            .order_by(SamplingTask.planned_on.desc(), SamplingTask.id.desc())
        )
        task_rows = [for_caller(task_view(s, t), op.sees_personal_data) for t in tasks]
        view = for_caller(point_out(p), op.sees_personal_data)
        cases = market_pages.case_rows(s, point_id=p.id)
    return render_page(
        request,
        "market/point.html",
        op,
        point=view,
        tasks=task_rows,
        cases=cases,
        words=_words(),
        powers=market_pages.powers(op),
    )


@router.get("/market/plans")
def plans_page(request: Request, op: Viewer) -> Response:
    today = request.app.state.clock.now().astimezone(LOCAL_TZ).date()
    with request.app.state.sessions() as s:
        plans = market_pages.plan_views(s, op, task_view)
    cal = vocabulary().calendar
    return render_page(
        request,
        "market/plans.html",
        op,
        plans=plans,
        year=today.year,
        today=today.isoformat(),
        plan_due=cal.plan_due_on(today.year).isoformat(),
        phases=[(p.id, *p.span(today.year)) for p in cal.phases],
        words=_words(),
        powers=market_pages.powers(op),
    )


@router.get("/market/tasks/{task_id}")
def task_page(request: Request, op: Viewer, task_id: RowId) -> Response:
    with request.app.state.sessions() as s:
        t = s.get(SamplingTask, task_id)
        if t is None or not op.covers(t.region_code):
            return not_found_page(request, op, "market.task_missing", str(task_id))
        view = for_caller(task_view(s, t), op.sees_personal_data)
        cases = market_pages.case_rows(s, sample_ref=t.sample_id) if t.sample_id else []
    indicators = market_pages.indicators_for(
        request.app.state.profiles, view["region_code"], view["coal_type"]
    )
    return render_page(
        request,
        "market/task.html",
        op,
        task=view,
        indicators=indicators,
        cases=cases,
        violations=market_pages.violations(),
        powers=market_pages.powers(op),
    )


@router.get("/market/rates")
def rates_page(
    request: Request, op: Viewer, year: int | None = None, phase: str | None = None
) -> Response:
    """The four 100 % rates of the user's region, per county, with the missing points."""
    p = _period(request, year, phase)
    with request.app.state.sessions() as s:
        figures = rates(s, op.region_prefix, p)
    return render_page(request, "market/rates.html", op, figures=figures, period=p, words=_words())


@router.get("/market/failing")
def failing_page(
    request: Request, op: Viewer, year: int | None = None, phase: str | None = None
) -> Response:
    """The failing results the county publishes (personal data masked), with its CSV."""
    p = _period(request, year, phase)
    with request.app.state.sessions() as s:
        rows = failing_results(s, op.region_prefix, p)
    return render_page(request, "market/failing.html", op, rows=rows, period=p, words=_words())


@router.get("/market/cases")
def cases_page(request: Request, op: CaseViewer, status: str | None = None) -> Response:
    """The region's cases (overdue steps marked); market supervision and admins act here."""
    status = status if status in ("open", "closed") else None
    today = request.app.state.clock.now().astimezone(LOCAL_TZ).date()
    with request.app.state.sessions() as s:
        rows = market_pages.case_rows(s, region=op.region_prefix, status=status, today=today)
    return render_page(
        request,
        "market_cases.html",
        op,
        rows=rows,
        status=status,
        can_act=op.role in CASE_OFFICERS,
        violations=market_pages.violations(),
    )
