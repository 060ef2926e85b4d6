"""What the checkpoint routes answer: one response model per shape (OpenAPI and checks)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coalguard.edge.quality.compare import IndicatorPair


class CheckpointOut(BaseModel):
    checkpoint_id: str
    name: str | None
    region_code: str | None
    jurisdiction: str | None
    gateway_id: str | None
    registered: bool
    first_seen: str | None
    last_seen: str | None


class OfficeOut(BaseModel):
    region_code: str
    name: str
    contact: str


class InspectionOut(BaseModel):
    """An inspection; ``driver`` is masked unless the caller may see personal data."""

    id: str
    checkpoint_id: str | None
    region_code: str | None
    plate: str | None
    state: str | None
    opened_at: str | None
    updated_at: str | None
    source: str | None
    driver: str | None
    origin: str | None
    destination: str | None
    coal_type: str | None
    weight_t: float | None
    waybill_no: str | None
    profile_id: str | None
    fast_pass: bool | None
    sample_id: str | None
    overall: str | None
    cloud_overall: str | None
    disagreement: bool | None


class VerdictOut(BaseModel):
    id: str
    source: str
    inspection_id: str | None
    lab_sample_id: str | None
    checkpoint_id: str | None
    at: str | None
    sample_id: str | None
    profile_id: str | None
    overall: str | None
    cloud_profile_id: str | None
    cloud_overall: str | None
    agree: bool | None
    disagreement: str | None
    measured: dict[str, Any] | None
    indicators: list[dict[str, Any]] | None


class LabSampleOut(BaseModel):
    id: str
    inspection_id: str | None
    checkpoint_id: str | None
    sample_id: str | None
    seal_no: str | None
    profile_id: str | None
    sampled_at: str | None
    dispatch_due: str | None
    dispatched_at: str | None
    lab_name: str | None
    received_at: str | None
    report_due: str | None
    reported_at: str | None
    report_no: str | None
    overall: str | None
    cloud_overall: str | None
    referred_to: str | None
    overdue: str | None


class TransitionOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    seq: int
    action: str
    from_: str | None = Field(alias="from")
    to: str | None
    at: str | None
    operator: str | None
    reason: str | None


class LabBesideRapidOut(BaseModel):
    """A lab verdict with the rapid one beside it: the same profile and version when
    ``same_profile``; per indicator the rapid value, the lab value, the limit, each outcome."""

    lab_sample_id: str | None
    sample_id: str | None
    report_no: str | None
    at: str | None
    profile_id: str | None
    profile_version: str | None
    overall: str | None
    cloud_overall: str | None
    rapid_profile_id: str | None
    rapid_profile_version: str | None
    rapid_overall: str | None
    same_profile: bool
    indicators: list[IndicatorPair]


class InspectionDetail(InspectionOut):
    result: dict[str, Any] | None
    transitions: list[TransitionOut]
    verdicts: list[VerdictOut]
    lab_samples: list[LabSampleOut]
    lab_results: list[LabBesideRapidOut]


class SummaryOut(BaseModel):
    region: str
    since: str
    until: str
    by: str | None
    rows: list[dict[str, Any]]


class ProjectionError(BaseModel):
    record_id: str
    kind: str
    error: str | None


class ProjectionRefusal(BaseModel):
    record_id: str
    kind: str
    gateway_id: str
    reason: str | None


class ProjectionOut(BaseModel):
    dead_letters: dict[str, int]
    stored: int
    projected: dict[str, int]
    pending: int
    errors: list[ProjectionError]
    refused: list[ProjectionRefusal]
    dead_lettered: list[ProjectionRefusal] = Field(
        description="records the record registry could not decode (unknown kind or schema "
        "version, or a body that does not fit its model), with the reason"
    )
