"""View models of the coal-market pages (plain values; words in the templates).

The rows are the API's own views (``market/schemas.py``) masked for the user, so
a page shows exactly what the API answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.access import CASE_OFFICERS, MARKET_EDITORS, RESULT_ENTERERS
from coalguard.cloud.auth import Operator
from coalguard.cloud.checks.fastpass import jurisdiction_for
from coalguard.cloud.market.cases import OPEN, handed_over
from coalguard.cloud.market.points import points_in
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.sales_tables import Case
from coalguard.cloud.market.sampling import plan_on_time
from coalguard.cloud.market.schemas import plan_out, point_out
from coalguard.cloud.market.tables import BusinessPoint, SamplingPlan, SamplingTask
from coalguard.cloud.privacy import for_caller
from coalguard.edge.quality import ProfileSet, UnknownProfile

Row = dict[str, Any]


@dataclass(frozen=True)
class Powers:
    can_edit: bool  # points, plans, tasks, samples
    can_enter_results: bool
    can_run_cases: bool  # open a case from a failing sample, accept its rectification


def powers(op: Operator) -> Powers:
    return Powers(op.role in MARKET_EDITORS, op.role in RESULT_ENTERERS, op.role in CASE_OFFICERS)


@dataclass(frozen=True)
class CaseRow:
    id: int
    point_id: int | None
    point_code: str
    violation: str
    step: str
    deadline: date | None
    overdue: bool
    seized_t: float
    handed_over_t: float
    status: str
    outcome: str | None
    published_on: date | None


def case_rows(
    s: Session,
    *,
    region: str | None = None,
    status: str | None = None,
    point_id: int | None = None,
    sample_ref: str | None = None,
    today: date | None = None,
) -> list[CaseRow]:
    """Cases of a region (prefix), a point, or opened from one sample, newest first, with
    their point's code and what was handed over; overdue when past ``today``'s deadline."""
    q = select(Case)
    if region is not None:
        q = q.where(Case.region_code.startswith(region))
    if status is not None:
        q = q.where(Case.status == status)
    if point_id is not None:
        q = q.where(Case.point_id == point_id)
    if sample_ref is not None:
        q = q.where(Case.sample_ref == sample_ref)
    rows = list(s.scalars(q.order_by(Case.id.desc())))
    codes = dict(
        s.execute(
            select(BusinessPoint.id, BusinessPoint.code).where(
                BusinessPoint.id.in_({c.point_id for c in rows if c.point_id is not None})
            )
        ).all()
    )
    return [
        CaseRow(
            id=c.id,
            point_id=c.point_id,
            point_code=codes.get(c.point_id, str(c.point_id))
            if c.point_id is not None
            else c.subject_ref or "",
            violation=c.violation,
            step=c.step,
            deadline=c.deadline,
            overdue=bool(today and c.status == OPEN and c.deadline and c.deadline < today),
            seized_t=c.seized_t,
            handed_over_t=handed_over(s, c.id),
            status=c.status,
            outcome=c.outcome,
            published_on=c.published_on,
        )
        for c in rows
    ]


def violations() -> tuple[str, ...]:
    return load_sales_rules().violation_codes()


def point_rows(s: Session, op: Operator, kind: str | None) -> list[Row]:
    rows = points_in(s, op.region_prefix, kind=kind)
    return [for_caller(point_out(p), op.sees_personal_data) for p in rows]


@dataclass(frozen=True)
class PlanView:
    plan: Row
    tasks: list[Row]
    points: list[Row]  # the county's points a task may name


def plan_views(s: Session, op: Operator, task_view: Any) -> list[PlanView]:
    plans = s.scalars(
        select(SamplingPlan)
        .where(SamplingPlan.region_code.startswith(op.region_prefix))
        .order_by(SamplingPlan.year.desc(), SamplingPlan.region_code)
    )
    out = []
    for plan in plans:
        tasks = s.scalars(
            select(SamplingTask)
            .where(SamplingTask.plan_id == plan.id)
            .order_by(SamplingTask.planned_on, SamplingTask.id)
        )
        out.append(
            PlanView(
                plan=plan_out(plan, plan_on_time(plan)).model_dump(mode="json"),
                tasks=[for_caller(task_view(s, t), op.sees_personal_data) for t in tasks],
                points=[
                    {"code": p.code, "name": p.name}
                    for p in points_in(s, plan.region_code)
                    if p.status != "shut"
                ],
            )
        )
    return out


def indicators_for(profiles: ProfileSet, region_code: str, coal_type: str) -> list[str]:
    """The indicators the region's profile for the coal type limits (the result form's fields)."""
    j = jurisdiction_for(profiles, region_code)
    if j is None:
        return []
    try:
        return [lim.indicator for lim in profiles.for_coal(j.id, coal_type).limits]
    except UnknownProfile:
        return []
