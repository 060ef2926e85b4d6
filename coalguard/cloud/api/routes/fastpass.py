"""Routes of the fast-pass registry: reports, trucks, and the list gateways pull."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from coalguard.cloud.api.deps import ClockDep, Reader
from coalguard.cloud.api.deps import Staff as FastPassWriter
from coalguard.cloud.api.gateway_pull import TOML, TOML_MEDIA, PullingCheckpoint, gateway_list
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.checks import fastpass as fp
from coalguard.cloud.checks.tables import FastPassReport, FastPassTruck
from coalguard.cloud.scope import scoped_region
from coalguard.edge import fastpass
from coalguard.edge.plates import normalize_plate

router = APIRouter(prefix="/api/v1", tags=["fast-pass"])


class ReportIn(BaseModel):
    report_id: str = Field(min_length=1, max_length=64, examples=["QR-2026-0412"])
    company: str = Field(min_length=1, max_length=200, examples=["大同恒信煤业有限公司"])
    region_code: str = Field(pattern=r"^[0-9]{2,12}$", examples=["130102"])
    coal_type: str = Field(min_length=1, max_length=32, examples=["anthracite"])
    lab: str = Field(min_length=1, max_length=200, examples=["河北省煤炭产品质量监督检验站"])
    issued_on: date = Field(examples=["2026-11-01"])
    expires: date = Field(examples=["2027-02-28"])
    quantity_t: float = Field(gt=0, le=1e7, description="tonnes the report covers", examples=[3000])
    indicators: dict[str, float] = Field(
        min_length=1, examples=[{"Mad": 2.0, "Aad": 10.0, "Vdaf": 8.0, "St_ad": 0.3}]
    )

    @model_validator(mode="after")
    def _dates(self) -> ReportIn:
        if self.expires < self.issued_on:
            raise ValueError("expires: must not be before issued_on")
        return self


class ReportOut(BaseModel):
    report_id: str
    company: str
    region_code: str
    coal_type: str
    lab: str
    issued_on: str
    expires: str
    quantity_t: float | None
    remaining_t: float | None = Field(description="tonnes not yet drawn on by green lanes")
    indicators: dict[str, float]
    profile_id: str | None
    overall: str
    accepted: bool
    uploaded_by: str
    uploaded_at: str


class TruckOut(BaseModel):
    plate: str
    region_code: str
    company: str | None = None
    report_id: str | None = None
    active: bool


class FastPassList(fastpass.FastPassList):
    """The trucks valid today in a region (the gateway's list model, plus the region);
    ``version`` changes whenever the list does."""

    region: str


def _region_refused(op: Any) -> Problem:
    return Problem(403, "region_refused", region=op.region_prefix or "(all)")


class TruckIn(BaseModel):
    plate: str = Field(min_length=2, max_length=16, examples=["冀A12345"])
    region_code: str = Field(pattern=r"^[0-9]{2,12}$", examples=["130102"])
    report_id: str = Field(min_length=1, max_length=64, examples=["QR-2026-0412"])


@router.post(
    "/fast-pass/reports", status_code=201, response_model=ReportOut, responses=problems(409)
)
def upload_report(
    request: Request, op: FastPassWriter, clock: ClockDep, body: ReportIn
) -> dict[str, Any]:
    """Store a company's quality report; the cloud judges it (``accepted`` when it passes)."""
    if not op.covers(body.region_code):
        raise _region_refused(op)
    try:
        profile_id, overall = fp.judge_report(
            request.app.state.profiles,
            body.region_code,
            body.coal_type,
            body.report_id,
            body.indicators,
        )
    except fp.FastPassError as exc:
        raise Problem(422, "invalid", reason=exc) from None
    with request.app.state.sessions.begin() as s:
        if s.get(FastPassReport, body.report_id) is not None:
            raise Problem(409, "report_uploaded", report_id=body.report_id)
        r = FastPassReport(
            **body.model_dump(),
            profile_id=profile_id,
            overall=overall,
            uploaded_by=op.name,
            uploaded_at=clock.now(),
        )
        s.add(r)
        s.flush()
        return fp.report_view(s, r)


@router.post("/fast-pass/trucks", status_code=201, response_model=TruckOut)
def register_truck(
    request: Request, op: FastPassWriter, clock: ClockDep, body: TruckIn
) -> dict[str, Any]:
    """Put a truck on the fast-pass list of a region, backed by an accepted report."""
    if not op.covers(body.region_code):
        raise _region_refused(op)
    with request.app.state.sessions.begin() as s:
        try:
            t = fp.add_truck(
                s,
                body.plate,
                body.region_code,
                body.report_id,
                op.name,
                clock.now(),
            )
        except fp.FastPassError as exc:
            raise Problem(422, "invalid", reason=exc) from None
        return {
            "plate": t.plate,
            "region_code": t.region_code,
            "company": t.company,
            "report_id": t.report_id,
            "active": t.active,
        }


@router.delete("/fast-pass/trucks/{plate}", response_model=TruckOut, responses=problems(404))
def remove_truck(
    request: Request, op: FastPassWriter, plate: str, region_code: str
) -> dict[str, Any]:
    if not op.covers(region_code):
        raise _region_refused(op)
    with request.app.state.sessions.begin() as s:
        t = s.scalars(
            select(FastPassTruck).where(
                FastPassTruck.plate == normalize_plate(plate),
                FastPassTruck.region_code == region_code,
            )
        ).first()
        if t is None:
            raise Problem(404, "no_fast_pass_truck", plate=plate, region=region_code)
        t.active = False
        return {"plate": t.plate, "region_code": region_code, "active": False}


def _listed(request: Request, region: str) -> fastpass.FastPassList:
    today = fp.today_local(request.app.state.clock.now())
    with request.app.state.sessions() as s:
        return fp.listed(s, region, today)


def _list_toml(request: Request, region: str) -> str:
    """The gateway's file of the trucks valid today in ``region``."""
    fl = _listed(request, region)
    return fastpass.to_toml(fl, f"Fast-pass list for region {region}, made by coalguard cloud.")


def _list_response(request: Request, region: str, fmt: str) -> Any:
    """The list as JSON (``FastPassList``) or as the gateway's TOML file."""
    if fmt == "toml":
        return PlainTextResponse(_list_toml(request, region), media_type=TOML_MEDIA)
    fl = _listed(request, region)
    return {"region": region, **fl.model_dump(mode="json", by_alias=True)}


@router.get("/fast-pass/list", response_model=FastPassList, responses=TOML)
def fast_pass_list(
    request: Request,
    op: Reader,
    region: str | None = None,
    format: Literal["json", "toml"] = "json",
) -> Any:
    """Trucks valid today at a checkpoint in ``region`` (the gateway file format as TOML)."""
    return _list_response(request, scoped_region(op, region), format)


@gateway_list(router, "fast-pass.toml")
def gateway_fast_pass(request: Request, cp: PullingCheckpoint) -> str:
    """The list for a gateway's checkpoint, with the gateway's own token; save as its file."""
    return _list_toml(request, cp.region_code)
