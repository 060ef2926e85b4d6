"""REST routes over what checkpoints sent: checkpoints, inspections, verdicts, lab, figures.

Every route is region scoped: a row outside the caller's prefix is 404.
Personal data (driver names) is masked unless the caller's role allows it.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from coalguard.cloud.api.deps import Admin, ClockDep, Listing, Reader, RegionQuery, Span
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.batch_store import GatewayDeadLetterRow, GatewayRecordRow
from coalguard.cloud.checks import queries, registry
from coalguard.cloud.checks.schemas import (
    CheckpointOut,
    InspectionDetail,
    InspectionOut,
    LabSampleOut,
    OfficeOut,
    ProjectionOut,
    SummaryOut,
    VerdictOut,
)
from coalguard.cloud.checks.tables import (
    Checkpoint,
    Inspection,
    LabSample,
    ProjectedRecord,
    VerdictRow,
)
from coalguard.cloud.privacy import redact
from coalguard.cloud.scope import is_region_code, scoped_region

router = APIRouter(prefix="/api/v1", tags=["checkpoints"])


class CheckpointIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["涿州收费站检查站"])
    region_code: str = Field(pattern=r"^[0-9]{2,12}$", examples=["130681"])
    jurisdiction: str | None = Field(None, max_length=64, examples=["hebei-2022"])
    gateway_id: str | None = Field(None, max_length=64, examples=["hebei-zhuozhou-01"])


class OfficeIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["涿州市大气污染防治办公室"])
    contact: str = Field(min_length=1, max_length=200, examples=["0312-1234567"])


CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


@router.get("/checkpoints", response_model=list[CheckpointOut])
def list_checkpoints(
    request: Request, op: Reader, region: str | None = None
) -> list[dict[str, Any]]:
    region = scoped_region(op, region)
    with request.app.state.sessions() as s:
        return [registry.checkpoint_view(c) for c in queries.checkpoints_in(s, region)]


@router.put("/checkpoints/{checkpoint_id}", response_model=CheckpointOut, responses=problems(404))
def put_checkpoint(
    request: Request, op: Admin, checkpoint_id: str, body: CheckpointIn
) -> dict[str, Any]:
    """Register a checkpoint's region and jurisdiction (admin); re-tags its rows."""
    if not op.covers(body.region_code):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")
    profiles = request.app.state.profiles
    if body.jurisdiction and body.jurisdiction not in profiles.jurisdictions:
        known = ", ".join(sorted(profiles.jurisdictions))
        raise Problem(422, "unknown_jurisdiction", jurisdiction=body.jurisdiction, known=known)
    with request.app.state.sessions.begin() as s:
        cp = s.get(Checkpoint, checkpoint_id)
        if cp is not None and not op.covers(cp.region_code):
            raise Problem(404, "no_checkpoint", checkpoint_id=checkpoint_id)
        cp = registry.register_checkpoint(
            s,
            checkpoint_id,
            name=body.name,
            region_code=body.region_code,
            jurisdiction=body.jurisdiction,
            gateway_id=body.gateway_id,
        )
        return registry.checkpoint_view(cp)


@router.put("/regions/{region_code}/office", response_model=OfficeOut)
def put_office(request: Request, op: Admin, region_code: str, body: OfficeIn) -> dict[str, str]:
    """The air-pollution office failing lab reports of this region are routed to."""
    if not is_region_code(region_code) or not op.covers(region_code):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")
    with request.app.state.sessions.begin() as s:
        o = registry.set_office(s, region_code, body.name, body.contact)
        return {"region_code": o.region_code, "name": o.name, "contact": o.contact}


@router.get("/inspections", response_model=list[InspectionOut], responses=CSV)
def list_inspections(
    request: Request,
    op: Reader,
    f: Annotated[queries.InspectionFilter, Query()],
    region: str | None = None,
    limit: int = Query(200, ge=1, le=5000),
    offset: int = Query(0, ge=0),
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Inspections in a region, newest first, filtered by any of the parameters.

    ``format=csv`` exports the same rows (personal data masked the same way).
    """
    q = queries.find_inspections(scoped_region(op, region), f)
    q = q.order_by(Inspection.opened_at.desc()).limit(limit).offset(offset)
    with request.app.state.sessions() as s:
        rows = redact([queries.inspection_view(i) for i in s.scalars(q)], op.sees_personal_data)
    if format == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=queries.INSPECTION_COLUMNS)
        w.writeheader()
        w.writerows(rows)
        return PlainTextResponse(
            buf.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="inspections.csv"'},
        )
    return rows


@router.get(
    "/inspections/{inspection_id}", response_model=InspectionDetail, responses=problems(404)
)
def get_inspection(
    request: Request, op: Reader, clock: ClockDep, inspection_id: str
) -> dict[str, Any]:
    """One inspection with its workflow history, verdicts and lab samples."""
    with request.app.state.sessions() as s:
        i = s.get(Inspection, inspection_id)
        if i is None or not op.covers(i.region_code):
            raise Problem(404, "no_inspection", inspection_id=inspection_id)
        return redact(queries.inspection_detail(s, i, clock.now()), op.sees_personal_data)


class VerdictQuery(Listing, Span):
    """``agree=false``: the disputes."""

    source: Literal["rapid", "lab"] | None = None
    agree: bool | None = None


@router.get("/verdicts", response_model=list[VerdictOut])
def list_verdicts(
    request: Request, op: Reader, q: Annotated[VerdictQuery, Query()]
) -> list[dict[str, Any]]:
    """Rapid and lab verdicts with the cloud's own beside each; ``agree=false``: disputes."""
    region = scoped_region(op, q.region)
    found = select(VerdictRow).where(VerdictRow.region_code.startswith(region))
    found = queries.where_given(found, q, VerdictRow, VerdictRow.at)
    with request.app.state.sessions() as s:
        rows = s.scalars(found.order_by(VerdictRow.at.desc()).limit(q.limit))
        return [queries.verdict_view(v) for v in rows]


class LabQuery(Listing):
    """``overdue``: past the 24 h / 2 day limits."""

    status: Literal["pending", "overdue", "reported", "failed"] | None = None


@router.get("/lab-samples", response_model=list[LabSampleOut])
def list_lab_samples(
    request: Request, op: Reader, clock: ClockDep, q: Annotated[LabQuery, Query()]
) -> list[dict[str, Any]]:
    """Lab samples with their deadlines; ``overdue``: past the 24 h / 2 day limits."""
    now = clock.now()
    found = select(LabSample).where(LabSample.region_code.startswith(scoped_region(op, q.region)))
    if q.checkpoint:
        found = found.where(LabSample.checkpoint_id == q.checkpoint)
    if q.status == "pending":
        found = found.where(LabSample.reported_at.is_(None))
    elif q.status == "overdue":
        found = found.where(queries.overdue_clause(now))
    elif q.status == "reported":
        found = found.where(LabSample.reported_at.is_not(None))
    elif q.status == "failed":
        found = found.where((LabSample.overall == "fail") | (LabSample.cloud_overall == "fail"))
    with request.app.state.sessions() as s:
        rows = s.scalars(found.order_by(LabSample.sampled_at.desc()).limit(q.limit))
        return [queries.lab_view(lab, now) for lab in rows]


class SummaryQuery(RegionQuery, Span):
    """Default range: the last 24 hours."""

    by: Literal["checkpoint", "origin"] | None = None


@router.get("/checks/summary", response_model=SummaryOut)
def checks_summary(
    request: Request, op: Reader, clock: ClockDep, q: Annotated[SummaryQuery, Query()]
) -> dict[str, Any]:
    """Trucks checked, pass/fail/retest rates, turned back, fast pass, lab overdue.

    Default range: the last 24 hours.
    """
    region = scoped_region(op, q.region)
    now = clock.now()
    until = q.until or now
    since = q.since or until - timedelta(days=1)
    if since >= until:
        raise Problem(422, "since_before_until")
    with request.app.state.sessions() as s:
        rows = queries.summary(s, region, since, until, now, q.by)
    return {
        "region": region,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "by": q.by,
        "rows": rows,
    }


@router.get("/checks/projection", response_model=ProjectionOut)
def projection_status(request: Request, op: Admin) -> dict[str, Any]:
    """How far gateway records have been projected, and the ones that failed (admins).

    ``refused``: records naming a checkpoint bound to another gateway.
    ``dead_lettered``: records whose kind, schema version or body the record
    registry does not accept, with the reason.
    ``dead_letters``: everything kept with a reason (rejected at ingest or
    refused here, conflicts), counted by outcome.
    """
    with request.app.state.sessions() as s:
        stored = s.scalar(select(func.count()).select_from(GatewayRecordRow)) or 0
        by_outcome = dict(
            s.execute(
                select(ProjectedRecord.outcome, func.count()).group_by(ProjectedRecord.outcome)
            ).all()
        )
        latest = {
            outcome: s.execute(
                select(
                    ProjectedRecord.record_id,
                    GatewayRecordRow.kind,
                    GatewayRecordRow.gateway_id,
                    ProjectedRecord.error,
                )
                .join(GatewayRecordRow, GatewayRecordRow.id == ProjectedRecord.record_id)
                .where(ProjectedRecord.outcome == outcome)
                .order_by(ProjectedRecord.seq.desc())
                .limit(50)
            ).all()
            for outcome in ("error", "refused", "dead_letter")
        }
        dead = dict(
            s.execute(
                select(GatewayDeadLetterRow.outcome, func.count()).group_by(
                    GatewayDeadLetterRow.outcome
                )
            ).all()
        )
    done = sum(by_outcome.values())
    return {
        "dead_letters": dead,
        "stored": stored,
        "projected": by_outcome,
        "pending": max(stored - done, 0),
        "errors": [{"record_id": r, "kind": k, "error": e} for r, k, _, e in latest["error"]],
        "refused": [
            {"record_id": r, "kind": k, "gateway_id": g, "reason": e}
            for r, k, g, e in latest["refused"]
        ],
        "dead_lettered": [
            {"record_id": r, "kind": k, "gateway_id": g, "reason": e}
            for r, k, g, e in latest["dead_letter"]
        ],
    }
