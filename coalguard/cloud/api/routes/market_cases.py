"""Illegal-sale cases: opened from a finding or a failing sample, the penalty ladder,
rectification accepted, seizure, handover to 发改, disposal, publication, and the case
disposal counts the rates read (docs/market.md#cases-and-rectification)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.access import CASE_OFFICERS, CASE_READERS, allow
from coalguard.cloud.api.deps import ClockDep, RegionQuery, RowId, one_in_region
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import Operator
from coalguard.cloud.market import cases
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.sales_schemas import (
    CaseDisposalOut,
    CaseEventOut,
    CaseOut,
    HandoverOut,
)
from coalguard.cloud.market.sales_tables import Case, Finding
from coalguard.cloud.market.tables import BusinessPoint, SamplingTask
from coalguard.cloud.scope import scoped_region
from coalguard.errors import WordedValueError

router = APIRouter(prefix="/api/v1/market", tags=["market cases"])

Officer = Annotated[Operator, allow(*CASE_OFFICERS)]
CaseReader = Annotated[Operator, allow(*CASE_READERS)]


def case_out(s: Session, case: Case) -> CaseOut:
    out = CaseOut.model_validate(case)
    out.handed_over_t = cases.handed_over(s, case.id)
    out.events = [CaseEventOut.model_validate(e) for e in cases.events_of(s, case.id)]
    return out


def _case(s: Session, op: Operator, case_id: int) -> Case:
    return one_in_region(
        s, op, Case, case_id, lambda r: r.region_code, "market_cases.case_unknown", case=case_id
    )


class CaseIn(BaseModel):
    """A case on a point: from one of its findings, a failing sample, or the office's own."""

    point_id: int | None = None
    finding_id: int | None = None
    sample_id: str | None = Field(None, max_length=64)
    violation: str | None = Field(None, max_length=32)
    summary: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _source(self) -> CaseIn:
        if self.point_id is None and self.finding_id is None and self.sample_id is None:
            raise WordedValueError("market_cases.case_source")
        return self


def _origin(s: Session, op: Operator, body: CaseIn) -> tuple[BusinessPoint, Finding | None]:
    finding = s.get(Finding, body.finding_id) if body.finding_id is not None else None
    if body.finding_id is not None and (finding is None or not op.covers(finding.region_code)):
        raise Problem(404, "market_cases.finding_unknown", finding=body.finding_id)
    point_id = body.point_id or (finding.point_id if finding else None)
    if body.sample_id is not None:
        task = s.scalars(
            select(SamplingTask).where(SamplingTask.sample_id == body.sample_id)
        ).first()
        if task is None or task.outcome != "fail" or not op.covers(task.region_code):
            raise Problem(404, "market_cases.sample_unknown", sample=body.sample_id)
        point_id = point_id or task.point_id
    p = s.get(BusinessPoint, point_id) if point_id is not None else None
    if p is None or not op.covers(p.region_code):
        raise Problem(404, "market_sales.point_unknown", point=point_id)
    return p, finding


@router.post("/cases", status_code=201, response_model=CaseOut, responses=problems(404))
def open_case(request: Request, op: Officer, clock: ClockDep, body: CaseIn) -> CaseOut:
    """Open a case at 限期整改: the point records no sales until it is accepted."""
    with request.app.state.sessions.begin() as s:
        p, finding = _origin(s, op, body)
        case = cases.open_case(
            s,
            p,
            load_sales_rules(),
            violation=body.violation,
            by=op.name,
            now=clock.now(),
            finding=finding,
            sample_ref=body.sample_id,
            summary=body.summary,
        )
        return case_out(s, case)


class CaseQuery(RegionQuery):
    status: str | None = Field(None, pattern="^(open|closed)$")


@router.get("/cases", response_model=list[CaseOut])
def list_cases(request: Request, op: CaseReader, q: Annotated[CaseQuery, Query()]) -> list[CaseOut]:
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return [case_out(s, c) for c in cases.cases_in(s, region, q.status)]


@router.get("/cases/{case_id}", response_model=CaseOut, responses=problems(404))
def get_case(request: Request, op: CaseReader, case_id: RowId) -> CaseOut:
    with request.app.state.sessions() as s:
        return case_out(s, _case(s, op, case_id))


class Note(BaseModel):
    note: str = Field("", max_length=2000)


@router.post("/cases/{case_id}/escalate", response_model=CaseOut, responses=problems(404))
def escalate(request: Request, op: Officer, clock: ClockDep, case_id: RowId) -> CaseOut:
    """Up one rung of the ladder (限期整改 → 查封 → 关停)."""
    with request.app.state.sessions.begin() as s:
        case = cases.escalate(s, _case(s, op, case_id), load_sales_rules(), op.name, clock.now())
        return case_out(s, case)


@router.post("/cases/{case_id}/accept", response_model=CaseOut, responses=problems(404))
def accept(request: Request, op: Officer, clock: ClockDep, case_id: RowId, body: Note) -> CaseOut:
    """Rectification accepted (整改验收): the case closes, the point may sell again."""
    with request.app.state.sessions.begin() as s:
        case = cases.accept(s, _case(s, op, case_id), op.name, clock.now(), body.note)
        return case_out(s, case)


class SeizureIn(BaseModel):
    tonnes: float = Field(gt=0, le=100_000)


@router.post("/cases/{case_id}/seizures", response_model=CaseOut, responses=problems(404))
def seize(
    request: Request, op: Officer, clock: ClockDep, case_id: RowId, body: SeizureIn
) -> CaseOut:
    with request.app.state.sessions.begin() as s:
        case = cases.seize(s, _case(s, op, case_id), body.tonnes, op.name, clock.now())
        return case_out(s, case)


class HandoverIn(BaseModel):
    tonnes: float = Field(gt=0, le=100_000)
    receiver: str = Field(min_length=1, max_length=200)
    handed_on: date


@router.post(
    "/cases/{case_id}/handovers",
    status_code=201,
    response_model=HandoverOut,
    responses=problems(404),
)
def hand_over(
    request: Request, op: Officer, clock: ClockDep, case_id: RowId, body: HandoverIn
) -> HandoverOut:
    """Seized coal handed over to 发改: one line of the handover ledger."""
    with request.app.state.sessions.begin() as s:
        row = cases.hand_over(
            s,
            _case(s, op, case_id),
            body.tonnes,
            body.receiver,
            body.handed_on,
            op.name,
            clock.now(),
        )
        return HandoverOut.model_validate(row)


class DisposalIn(BaseModel):
    disposal: str = Field(min_length=1, max_length=2000)


@router.post("/cases/{case_id}/disposal", response_model=CaseOut, responses=problems(404))
def dispose(
    request: Request, op: Officer, clock: ClockDep, case_id: RowId, body: DisposalIn
) -> CaseOut:
    with request.app.state.sessions.begin() as s:
        case = cases.dispose(s, _case(s, op, case_id), body.disposal, op.name, clock.now())
        return case_out(s, case)


@router.post("/cases/{case_id}/publish", response_model=CaseOut, responses=problems(404))
def publish(request: Request, op: Officer, clock: ClockDep, case_id: RowId) -> CaseOut:
    """Published on the 曝光台 today."""
    with request.app.state.sessions.begin() as s:
        case = cases.publish(s, _case(s, op, case_id), op.name, clock.now())
        return case_out(s, case)


class DisposalQuery(RegionQuery):
    start: date
    end: date

    @model_validator(mode="after")
    def _order(self) -> DisposalQuery:
        if self.end < self.start:
            raise WordedValueError("market_cases.period_order")
        return self


@router.get("/case-disposal", response_model=CaseDisposalOut)
def case_disposal(
    request: Request, op: CaseReader, q: Annotated[DisposalQuery, Query()]
) -> CaseDisposalOut:
    """Cases opened in the period (local days, inclusive) and how many were disposed of."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        got = cases.case_disposal(s, region, (q.start, q.end))
    return CaseDisposalOut(
        region=region,
        start=q.start,
        end=q.end,
        opened=got.opened,
        disposed=got.disposed,
        rate=got.rate,
        open_cases=got.open_cases,
    )
