"""Sampling plans, tasks and results (R6, R25): a county's plan per campaign year, a
task per visit (point, day, sampler, sample id, seal), results judged by the verdict
engine against the jurisdiction's profile for the coal type; a failing point gets a
re-check task at once, due after the vocabulary's ``recheck_days``.

A task's outcome is its lab result's when it has one (the lab decides), else its
latest rapid result's. Overdue tasks raise market alerts (``alerts.py``) from the
cloud's sweep (``sweep_market_deadlines``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.checks.fastpass import jurisdiction_for
from coalguard.cloud.market.alerts import alert_exists, clear_market_alert, raise_market_alert
from coalguard.cloud.market.points import MarketError, one_of
from coalguard.cloud.market.sales_tables import Case
from coalguard.cloud.market.tables import (
    BusinessPoint,
    SamplingPlan,
    SamplingResult,
    SamplingTask,
)
from coalguard.cloud.market.vocabulary import vocabulary
from coalguard.datafile import Number
from coalguard.edge.clock import LOCAL_TZ
from coalguard.edge.model import Sample
from coalguard.edge.quality import ProfileSet, UnknownProfile, judge
from coalguard.edge.quality.profiles import COAL_TYPES
from coalguard.errors import CoalguardError

_TEXT = r"^[^\x00-\x1f\x7f]*$"


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    region_code: str = Field(pattern=r"^[0-9]{6}$")  # a county
    year: int = Field(ge=2000, le=2999)
    title: str = Field("", max_length=200, pattern=_TEXT)


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    point_code: str = Field(min_length=1, max_length=64)
    planned_on: date
    coal_type: str | None = None  # default: the point's first coal type, else anthracite
    sampler: str | None = Field(None, max_length=100, pattern=_TEXT)


class SampleIn(BaseModel):
    """The sample taken: who took it, its id and the seal on its bag."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sampler: str = Field(min_length=1, max_length=100, pattern=_TEXT)
    sample_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    seal: str = Field(min_length=1, max_length=64, pattern=_TEXT)
    sampled_at: AwareDatetime | None = None


class ResultIn(BaseModel):
    """A rapid or lab result: indicator symbols (``Vdaf``, ``St_d``, ``Ad``…) to values."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    method: Literal["rapid", "lab"]
    lab: str = Field("", max_length=200, pattern=_TEXT)
    indicators: dict[str, Number] = Field(min_length=1)


def local_day(at: datetime) -> date:
    return at.astimezone(LOCAL_TZ).date()


def add_plan(s: Session, body: PlanIn, who: str, now: datetime) -> SamplingPlan:
    """The county's plan for ``year`` (one per county and year)."""
    known = select(SamplingPlan.id).where(
        SamplingPlan.region_code == body.region_code, SamplingPlan.year == body.year
    )
    if s.scalar(known) is not None:
        raise MarketError("plan_exists", region=body.region_code, year=body.year)
    plan = SamplingPlan(
        region_code=body.region_code,
        year=body.year,
        title=body.title,
        created_by=who[:64],
        created_at=now,
    )
    s.add(plan)
    s.flush()
    return plan


def plan_on_time(plan: SamplingPlan) -> bool:
    """Made by the calendar's plan deadline (end of May) of its year."""
    return local_day(plan.created_at) <= vocabulary().calendar.plan_due_on(plan.year)


def add_task(
    s: Session, plan: SamplingPlan, point: BusinessPoint, body: TaskIn, who: str, now: datetime
) -> SamplingTask:
    """A routine visit to ``point`` on ``planned_on``; the point must be in the plan's county."""
    if not point.region_code.startswith(plan.region_code):
        raise MarketError("point_outside_plan", code=point.code, region=plan.region_code)
    if point.status == "shut":
        raise MarketError("point_shut", code=point.code)
    if body.planned_on.year != plan.year:
        raise MarketError("task_year", day=body.planned_on.isoformat(), year=plan.year)
    coal_type = body.coal_type or (point.coal_types[0] if point.coal_types else "anthracite")
    one_of(coal_type, COAL_TYPES, "coal_types")
    return _task(s, plan.id, point, coal_type, body.planned_on, body.sampler, who, now)


def _task(
    s: Session,
    plan_id: int,
    point: BusinessPoint,
    coal_type: str,
    planned_on: date,
    sampler: str | None,
    who: str,
    now: datetime,
    *,
    recheck_of: SamplingTask | None = None,
    due_on: date | None = None,
) -> SamplingTask:
    grace = timedelta(days=vocabulary().deadlines.sample_grace_days)
    task = SamplingTask(
        plan_id=plan_id,
        point_id=point.id,
        region_code=point.region_code,
        kind="recheck" if recheck_of else "routine",
        recheck_of=recheck_of.id if recheck_of else None,
        coal_type=coal_type,
        planned_on=planned_on,
        due_on=due_on or planned_on + grace,
        sampler=sampler,
        status="planned",
        overdue_alerted=False,
        created_by=who[:64],
        created_at=now,
    )
    s.add(task)
    s.flush()
    return task


def record_sample(s: Session, task: SamplingTask, body: SampleIn, now: datetime) -> SamplingTask:
    """The sample was taken: sampler, sample id (unique) and seal; clears an overdue alert."""
    if task.status != "planned":
        raise MarketError("task_done", task=task.id)
    clash = select(SamplingTask.id).where(SamplingTask.sample_id == body.sample_id)
    if s.scalar(clash) is not None:
        raise MarketError("sample_id_used", sample_id=body.sample_id)
    task.sampler = body.sampler
    task.sample_id = body.sample_id
    task.seal = body.seal
    task.sampled_at = body.sampled_at or now
    task.status = "sampled"
    clear_market_alert(s, _overdue_kind(task), _subject(task), now)
    s.flush()
    return task


def enter_result(
    s: Session,
    profiles: ProfileSet,
    task: SamplingTask,
    body: ResultIn,
    who: str,
    now: datetime,
) -> tuple[SamplingResult, SamplingTask | None]:
    """Judge and store a result; returns it and the re-check task it opened, if any."""
    if task.status == "planned" or task.sample_id is None:
        raise MarketError("task_not_sampled", task=task.id)
    j = jurisdiction_for(profiles, task.region_code)
    if j is None:
        raise MarketError("no_jurisdiction", region=task.region_code)
    try:
        profile = profiles.for_coal(j.id, task.coal_type)
        verdict = judge(Sample(sample_id=task.sample_id, indicators=body.indicators), profile)
    except UnknownProfile as exc:
        raise MarketError("no_profile", coal_type=task.coal_type, detail=str(exc)) from None
    except (ValueError, CoalguardError) as exc:
        raise MarketError("bad_indicators", detail=str(exc)) from None
    result = SamplingResult(
        task_id=task.id,
        method=body.method,
        lab=body.lab,
        indicators=dict(body.indicators),
        profile_id=profile.id,
        overall=verdict.overall.value,
        verdict=verdict.model_dump(mode="json"),
        entered_by=who[:64],
        entered_at=now,
    )
    s.add(result)
    s.flush()
    task.status = "judged"
    task.outcome = deciding_result(s, task).overall
    recheck = None
    if task.outcome == "fail":
        recheck = open_recheck(s, task, who, now)
    s.flush()
    return result, recheck


def deciding_result(s: Session, task: SamplingTask) -> SamplingResult:
    """The lab's latest result when there is one, else the latest rapid result."""
    rows = list(
        s.scalars(
            select(SamplingResult)
            .where(SamplingResult.task_id == task.id)
            .order_by(SamplingResult.entered_at, SamplingResult.id)
        )
    )
    labs = [r for r in rows if r.method == "lab"]
    return (labs or rows)[-1]


def open_recheck(s: Session, failed: SamplingTask, who: str, now: datetime) -> SamplingTask | None:
    """The re-check task of a failing task (once), due ``recheck_days`` from today."""
    known = select(SamplingTask).where(SamplingTask.recheck_of == failed.id)
    if s.scalars(known).first() is not None:
        return None
    point = s.get(BusinessPoint, failed.point_id)
    assert point is not None
    today = local_day(now)
    due = today + timedelta(days=vocabulary().deadlines.recheck_days)
    return _task(
        s,
        failed.plan_id,
        point,
        failed.coal_type,
        today,
        None,
        who,
        now,
        recheck_of=failed,
        due_on=due,
    )


def _overdue_kind(task: SamplingTask) -> str:
    return "market.recheck_overdue" if task.kind == "recheck" else "market.task_overdue"


def _subject(task: SamplingTask) -> str:
    return f"task {task.id}"


def sweep_market_deadlines(s: Session, now: datetime) -> int:
    """Raise one alert per task still not sampled after its due day, and per point still
    rectifying after its deadline; returns how many."""
    return _overdue_tasks(s, now) + _overdue_rectifications(s, now)


def _overdue_rectifications(s: Session, now: datetime) -> int:
    """A point ordered to rectify past the due day: one alert per point and order (the
    order's start names it). A case's order is the case's to alert (``cases.sweep_overdue``)."""
    under_case = select(Case.point_id).where(Case.status == "open")
    q = select(BusinessPoint).where(
        BusinessPoint.status == "rectifying",
        BusinessPoint.rectification_due < local_day(now),
        BusinessPoint.id.not_in(under_case),
    )
    n = 0
    for p in s.scalars(q):
        assert p.rectification_started_at is not None and p.rectification_due is not None
        subject = f"point {p.id} rectification {p.rectification_started_at.isoformat()}"
        if alert_exists(s, "market.rectification_overdue", subject):
            continue
        raise_market_alert(
            s,
            kind="market.rectification_overdue",
            subject=subject,
            region_code=p.region_code,
            point_id=p.id,
            message=f"{p.code} not rectified by {p.rectification_due}",
            at=now,
            detail={"point": p.code, "due_on": p.rectification_due.isoformat()},
        )
        n += 1
    return n


def _overdue_tasks(s: Session, now: datetime) -> int:
    today = local_day(now)
    q = select(SamplingTask, BusinessPoint).join(
        BusinessPoint, BusinessPoint.id == SamplingTask.point_id
    )
    q = q.where(
        SamplingTask.status == "planned",
        SamplingTask.due_on < today,
        SamplingTask.overdue_alerted.is_(False),
    )
    n = 0
    for task, point in s.execute(q).all():
        raise_market_alert(
            s,
            kind=_overdue_kind(task),
            subject=_subject(task),
            region_code=task.region_code,
            point_id=point.id,
            message=f"{task.kind} sampling of {point.code} due {task.due_on} not done",
            at=now,
            detail={"task_id": task.id, "point": point.code, "due_on": task.due_on.isoformat()},
        )
        task.overdue_alerted = True
        n += 1
    return n
