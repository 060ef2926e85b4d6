"""Coal-market routes (``/api/v1/market/…``): business points and their import, sampling
plans, tasks, samples and results, the rates and the public list of failing results.

Everyone reads their region; market staff (``market``) and admins keep the register
and the plans; results are entered by labs (``lab``) and market staff. Writes are
audited by the audit middleware; every row is region scoped.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.access import MARKET_EDITORS, RESULT_ENTERERS, allow
from coalguard.cloud.api.deps import ClockDep, QueryRowId, Reader, RegionQuery, RowId
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.api.uploads import import_sheet
from coalguard.cloud.auth import Operator
from coalguard.cloud.market import importer
from coalguard.cloud.market.points import (
    PointFields,
    PointIn,
    accept_rectification,
    add_point,
    point_by_code,
    points_in,
    start_rectification,
    update_point,
)
from coalguard.cloud.market.rates import Period, failing_results, period_of, rates
from coalguard.cloud.market.sales_tables import Case
from coalguard.cloud.market.sampling import (
    PlanIn,
    ResultIn,
    SampleIn,
    TaskIn,
    add_plan,
    add_task,
    enter_result,
    plan_on_time,
    record_sample,
)
from coalguard.cloud.market.schemas import (
    ImportOut,
    PlanOut,
    PointOut,
    TaskOut,
    plan_out,
    point_out,
    task_out,
)
from coalguard.cloud.market.tables import (
    BusinessPoint,
    SamplingPlan,
    SamplingResult,
    SamplingTask,
)
from coalguard.cloud.market.vocabulary import vocabulary
from coalguard.cloud.privacy import for_caller
from coalguard.cloud.scope import scoped_region

router = APIRouter(prefix="/api/v1/market", tags=["market"])
MarketEditor = Annotated[Operator, allow(*MARKET_EDITORS)]
ResultEnterer = Annotated[Operator, allow(*RESULT_ENTERERS)]
FAILING_COLUMNS = (
    "point_code",
    "point_name",
    "kind",
    "licence",
    "address",
    "region_code",
    "operator_name",
    "sampled_on",
    "sample_id",
    "task_kind",
    "coal_type",
    "method",
    "profile_id",
    "failed",
)


def _answer(view: BaseModel | list[Any], op: Operator, status: int = 200) -> JSONResponse:
    """A view as JSON, personal fields masked unless ``op`` may see them."""
    if isinstance(view, list):
        return JSONResponse([for_caller(v, op.sees_personal_data) for v in view], status)
    return JSONResponse(for_caller(view, op.sees_personal_data), status)


def _covered(op: Operator, region: str) -> None:
    if not op.covers(region):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")


def _point(s: Session, op: Operator, point_id: int) -> BusinessPoint:
    p = s.get(BusinessPoint, point_id)
    if p is None or not op.covers(p.region_code):
        raise Problem(404, "market.not_found", what="point", ref=point_id)
    return p


def _plan(s: Session, op: Operator, plan_id: int) -> SamplingPlan:
    plan = s.get(SamplingPlan, plan_id)
    if plan is None or not op.covers(plan.region_code):
        raise Problem(404, "market.not_found", what="plan", ref=plan_id)
    return plan


def _task(s: Session, op: Operator, task_id: int) -> SamplingTask:
    t = s.get(SamplingTask, task_id)
    if t is None or not op.covers(t.region_code):
        raise Problem(404, "market.not_found", what="task", ref=task_id)
    return t


def open_cases_of(s: Session, point_id: int) -> list[int]:
    """The ids of the point's open cases."""
    q = select(Case.id).where(Case.point_id == point_id, Case.status == "open")
    return list(s.scalars(q.order_by(Case.id)))


def task_view(s: Session, t: SamplingTask) -> TaskOut:
    """A task with its point, results and the re-check it opened (the pages use it too)."""
    point = s.get(BusinessPoint, t.point_id)
    assert point is not None
    results = list(
        s.scalars(
            select(SamplingResult)
            .where(SamplingResult.task_id == t.id)
            .order_by(SamplingResult.entered_at, SamplingResult.id)
        )
    )
    recheck = s.scalar(select(SamplingTask.id).where(SamplingTask.recheck_of == t.id))
    return task_out(t, point, results, recheck)


# -- points -------------------------------------------------------------------------


class PointQuery(RegionQuery):
    kind: str | None = Field(None, max_length=32)
    status: str | None = Field(None, max_length=16)


@router.get("/points", response_model=list[PointOut])
def list_points(request: Request, op: Reader, q: Annotated[PointQuery, Query()]) -> JSONResponse:
    """The business points of a region (default: the caller's), by region and code."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        rows = points_in(s, region, kind=q.kind, status=q.status)
        return _answer([point_out(p) for p in rows], op)


@router.post("/points", status_code=201, response_model=PointOut, responses=problems(403))
def create_point(
    request: Request, op: MarketEditor, clock: ClockDep, body: PointIn
) -> JSONResponse:
    """Register a point (a tier of the sales network or a briquette producer)."""
    _covered(op, body.region_code)
    with request.app.state.sessions.begin() as s:
        return _answer(point_out(add_point(s, body, op.name, clock.now())), op, 201)


@router.get("/points/{point_id}", response_model=PointOut, responses=problems(404))
def get_point(request: Request, op: Reader, point_id: RowId) -> JSONResponse:
    with request.app.state.sessions() as s:
        return _answer(point_out(_point(s, op, point_id)), op)


@router.patch("/points/{point_id}", response_model=PointOut, responses=problems(404))
def patch_point(
    request: Request, op: MarketEditor, clock: ClockDep, point_id: RowId, body: PointFields
) -> JSONResponse:
    """Change a point's fields (status, facilities, pledge …); rectification has its steps."""
    if body.region_code:
        _covered(op, body.region_code)
    with request.app.state.sessions.begin() as s:
        p = update_point(s, _point(s, op, point_id), body, clock.now())
        return _answer(point_out(p), op)


class RectificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=1, max_length=500)
    due_on: date


@router.post("/points/{point_id}/rectification", response_model=PointOut, responses=problems(404))
def order_rectification(
    request: Request, op: MarketEditor, clock: ClockDep, point_id: RowId, body: RectificationIn
) -> JSONResponse:
    """Order the point to rectify by ``due_on``: no trading until it is accepted."""
    with request.app.state.sessions.begin() as s:
        p = start_rectification(s, _point(s, op, point_id), body.reason, body.due_on, clock.now())
        return _answer(point_out(p), op)


@router.post(
    "/points/{point_id}/rectification/accept",
    response_model=PointOut,
    responses=problems(404, 409),
)
def accept(request: Request, op: MarketEditor, clock: ClockDep, point_id: RowId) -> JSONResponse:
    """The rectification passed its acceptance: the point trades again. A rectification a
    case ordered is accepted on the case (``/cases/{id}/accept``), which closes it."""
    with request.app.state.sessions.begin() as s:
        p = _point(s, op, point_id)
        ordered_by = open_cases_of(s, p.id)
        if ordered_by:
            raise Problem(409, "market.accept_by_case", cases=", ".join(map(str, ordered_by)))
        return _answer(point_out(accept_rectification(s, p, clock.now())), op)


@router.post("/points/import", response_model=ImportOut, responses=problems(413))
async def import_points(
    request: Request,
    op: MarketEditor,
    clock: ClockDep,
    commit: bool = False,
    format: Literal["csv", "xlsx"] | None = None,
) -> dict[str, Any]:
    """A CSV or .xlsx point list as the request body: a dry run by default (row-level
    errors); with ``commit=true`` the whole file is stored, or nothing when a row is refused."""
    now = clock.now()
    return await import_sheet(
        request,
        format,
        importer.read_table,
        lambda s, rows: importer.import_rows(
            s, rows, op.name, now, commit=commit, covers=op.covers
        ),
    )


# -- plans and tasks ------------------------------------------------------------------


class PlanQuery(RegionQuery):
    year: int | None = Field(None, ge=2000, le=2999)


@router.get("/plans", response_model=list[PlanOut])
def list_plans(request: Request, op: Reader, q: Annotated[PlanQuery, Query()]) -> list[PlanOut]:
    region = scoped_region(op, q.region)
    stmt = select(SamplingPlan).where(SamplingPlan.region_code.startswith(region))
    if q.year:
        stmt = stmt.where(SamplingPlan.year == q.year)
    with request.app.state.sessions() as s:
        rows = s.scalars(stmt.order_by(SamplingPlan.year.desc(), SamplingPlan.region_code))
        return [plan_out(p, plan_on_time(p)) for p in rows]


@router.post("/plans", status_code=201, response_model=PlanOut, responses=problems(403))
def create_plan(request: Request, op: MarketEditor, clock: ClockDep, body: PlanIn) -> PlanOut:
    """A county's sampling plan for a year (one per county and year)."""
    _covered(op, body.region_code)
    with request.app.state.sessions.begin() as s:
        plan = add_plan(s, body, op.name, clock.now())
        return plan_out(plan, plan_on_time(plan))


@router.post(
    "/plans/{plan_id}/tasks", status_code=201, response_model=TaskOut, responses=problems(404)
)
def create_task(
    request: Request, op: MarketEditor, clock: ClockDep, plan_id: RowId, body: TaskIn
) -> JSONResponse:
    """Plan a visit to a point of the plan's county."""
    with request.app.state.sessions.begin() as s:
        plan = _plan(s, op, plan_id)
        point = point_by_code(s, body.point_code)
        if point is None or not op.covers(point.region_code):
            raise Problem(404, "market.not_found", what="point", ref=body.point_code)
        task = add_task(s, plan, point, body, op.name, clock.now())
        return _answer(task_view(s, task), op, 201)


class TaskQuery(RegionQuery):
    plan_id: QueryRowId = None
    point_id: QueryRowId = None
    status: Literal["planned", "sampled", "judged"] | None = None
    limit: int = Field(500, ge=1, le=5000)


@router.get("/tasks", response_model=list[TaskOut])
def list_tasks(request: Request, op: Reader, q: Annotated[TaskQuery, Query()]) -> JSONResponse:
    """Tasks of a region, by planned day."""
    region = scoped_region(op, q.region)
    stmt = select(SamplingTask).where(SamplingTask.region_code.startswith(region))
    for column, value in (
        (SamplingTask.plan_id, q.plan_id),
        (SamplingTask.point_id, q.point_id),
        (SamplingTask.status, q.status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    stmt = stmt.order_by(SamplingTask.planned_on, SamplingTask.id).limit(q.limit)
    with request.app.state.sessions() as s:
        return _answer([task_view(s, t) for t in s.scalars(stmt)], op)


@router.get("/tasks/{task_id}", response_model=TaskOut, responses=problems(404))
def get_task(request: Request, op: Reader, task_id: RowId) -> JSONResponse:
    with request.app.state.sessions() as s:
        return _answer(task_view(s, _task(s, op, task_id)), op)


@router.post("/tasks/{task_id}/sample", response_model=TaskOut, responses=problems(404))
def sample_taken(
    request: Request, op: MarketEditor, clock: ClockDep, task_id: RowId, body: SampleIn
) -> JSONResponse:
    """The sample was taken: sampler, sample id and seal."""
    with request.app.state.sessions.begin() as s:
        t = record_sample(s, _task(s, op, task_id), body, clock.now())
        return _answer(task_view(s, t), op)


@router.post(
    "/tasks/{task_id}/results", status_code=201, response_model=TaskOut, responses=problems(404)
)
def result_in(
    request: Request, op: ResultEnterer, clock: ClockDep, task_id: RowId, body: ResultIn
) -> JSONResponse:
    """A rapid or lab result, judged against the jurisdiction's profile; a failing task
    opens its re-check task (``recheck_task_id``)."""
    with request.app.state.sessions.begin() as s:
        t = _task(s, op, task_id)
        enter_result(s, request.app.state.profiles, t, body, op.name, clock.now())
        return _answer(task_view(s, t), op, 201)


# -- rates and the public list ------------------------------------------------------------


class PeriodQuery(RegionQuery):
    year: int = Field(ge=2000, le=2999)
    phase: str | None = Field(None, max_length=16)


def period_from(q: PeriodQuery) -> Period:
    try:
        return period_of(q.year, q.phase)
    except ValueError:
        known = ", ".join(ph.id for ph in vocabulary().calendar.phases)
        raise Problem(422, "market.unknown_phase", phase=q.phase, known=known) from None


class RateOut(BaseModel):
    done: int
    of: int
    rate: float | None
    target: float
    met: bool
    missing: list[str]


class RatesOut(BaseModel):
    sampling: RateOut
    recheck: RateOut
    cases: RateOut
    producers: RateOut
    case_source: str | None


class CountyRatesOut(RatesOut):
    county: str


class MarketRatesOut(BaseModel):
    region: str
    year: int
    phase: str | None
    since: date
    until: date
    total: RatesOut
    counties: list[CountyRatesOut]


@router.get("/rates", response_model=MarketRatesOut, responses=problems(422))
def market_rates(
    request: Request, op: Reader, q: Annotated[PeriodQuery, Query()]
) -> dict[str, Any]:
    """Sampling coverage, re-check rate, case disposal and producer coverage against 100 %."""
    region = scoped_region(op, q.region)
    p = period_from(q)
    with request.app.state.sessions() as s:
        return rates(s, region, p)


class FailingOut(BaseModel):
    point_code: str
    point_name: str
    kind: str
    licence: str
    address: str
    region_code: str
    operator_name: str
    sampled_on: date
    sample_id: str
    task_kind: str
    coal_type: str
    method: str
    profile_id: str
    failed: str


@router.get("/failing", response_model=list[FailingOut], responses=problems(422))
def failing(
    request: Request, op: Reader, q: Annotated[PeriodQuery, Query()]
) -> list[dict[str, Any]]:
    """The failing results a county publishes: personal data masked for everyone."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return failing_results(s, region, period_from(q))


@router.get(
    "/failing.csv",
    response_model=str,
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **problems(422)},
)
def failing_csv(
    request: Request, op: Reader, q: Annotated[PeriodQuery, Query()]
) -> PlainTextResponse:
    """The same list as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        rows = failing_results(s, region, period_from(q))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FAILING_COLUMNS)
    w.writeheader()
    w.writerows(rows)
    name = f"failing-{region or 'all'}-{q.year}{'-' + q.phase if q.phase else ''}.csv"
    return PlainTextResponse(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
