"""Lab steps: the chain of custody of a sample sent to the laboratory."""

from __future__ import annotations

from pydantic import Field

from coalguard.edge.quality.verdict import Verdict
from coalguard.edge.records.base import CheckpointRecord, register


class _LabStep(CheckpointRecord):
    lab_sample_id: str = Field(min_length=1)
    sample_id: str
    operator: str
    at: str


@register
class LabSampled(_LabStep):
    KIND = "lab.sampled"

    inspection_id: str
    seal_no: str | None
    profile_id: str
    dispatch_due: str


@register
class LabDispatched(_LabStep):
    KIND = "lab.dispatched"

    lab_name: str
    late: bool


@register
class LabReceived(_LabStep):
    KIND = "lab.received"

    received_at: str
    report_due: str


class _Report(CheckpointRecord):
    lab_sample_id: str = Field(min_length=1)
    inspection_id: str | None
    sample_id: str
    report_no: str
    indicators: dict[str, float]
    overall: str
    verdict: Verdict
    late: bool


@register
class LabReported(_Report):
    """The lab's report and the gateway's verdict on it (the cloud re-judges)."""

    KIND = "lab.reported"

    operator: str
    at: str


@register
class LabOfficeReferral(_Report):
    """A failing lab report referred to the air-pollution office (``to``)."""

    KIND = "lab.office_referral"

    to: str
