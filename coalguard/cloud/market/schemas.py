"""What the market routes answer (serialize with ``privacy.for_caller``: the operator's
name masked unless the caller may see personal data)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from coalguard.cloud.market.points import may_record_sales
from coalguard.cloud.market.tables import (
    BusinessPoint,
    SamplingPlan,
    SamplingResult,
    SamplingTask,
)
from coalguard.cloud.privacy import PersonName
from coalguard.cloud.sheets import RowErrorOut


class PointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    licence: str | None
    region_code: str
    address: str
    operator_name: PersonName
    status: str
    pending_change: str | None
    pledge_posted: bool
    pledge_posted_on: date | None
    facilities: list[str]
    zones: list[str]
    coal_types: list[str]
    rectification_reason: str | None
    rectification_due: date | None
    rectification_accepted_at: datetime | None
    may_record_sales: bool
    no_sales_reason: str | None
    updated_at: datetime


def point_out(p: BusinessPoint) -> PointOut:
    permission = may_record_sales(p)
    return PointOut.model_validate(
        {
            **{k: getattr(p, k) for k in PointOut.model_fields if hasattr(p, k)},
            "may_record_sales": permission.allowed,
            "no_sales_reason": permission.reason,
        }
    )


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    region_code: str
    year: int
    title: str
    created_by: str
    created_at: datetime
    on_time: bool


class ResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    method: str
    lab: str
    indicators: dict[str, Any]
    profile_id: str
    overall: str
    verdict: dict[str, Any]
    entered_by: str
    entered_at: datetime


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plan_id: int
    point_id: int
    point_code: str
    point_name: str
    region_code: str
    kind: str
    recheck_of: int | None
    coal_type: str
    planned_on: date
    due_on: date
    sampler: PersonName
    sample_id: str | None
    seal: str | None
    sampled_at: datetime | None
    status: str
    outcome: str | None
    results: list[ResultOut] = []
    recheck_task_id: int | None = None


def plan_out(plan: SamplingPlan, on_time: bool) -> PlanOut:
    return PlanOut.model_validate({**plan.__dict__, "on_time": on_time})


def task_out(
    t: SamplingTask,
    point: BusinessPoint,
    results: list[SamplingResult] = (),  # type: ignore[assignment]
    recheck_task_id: int | None = None,
) -> TaskOut:
    fields = {k: getattr(t, k) for k in TaskOut.model_fields if hasattr(t, k) and k != "results"}
    return TaskOut.model_validate(
        {
            **fields,
            "point_code": point.code,
            "point_name": point.name,
            "results": [ResultOut.model_validate(r) for r in results],
            "recheck_task_id": recheck_task_id,
        }
    )


class ImportOut(BaseModel):
    rows: int
    added: int
    updated: int
    committed: bool
    errors: list[RowErrorOut]
