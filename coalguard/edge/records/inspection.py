"""``inspection.transition``: one step of a truck's inspection, with a typed payload per action."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coalguard.edge.quality.verdict import Verdict
from coalguard.edge.records.base import Record, register


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset()


class Arrived(_Payload):
    plate: str
    source: str


class Registered(_Payload):
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"plate_corrected_from"})

    plate: str
    driver: str
    origin: str
    destination: str
    coal_type: str
    weight_t: float
    waybill_no: str
    profile_id: str
    plate_corrected_from: str | None = None


class FastPassChecked(_Payload):
    plate: str
    green: bool
    reason: str  # listed | not_listed | expired
    company: str | None
    report_id: str | None
    expires: str | None


class Sampled(_Payload):
    sample_id: str
    seal_no: str
    sampler: str
    taken_at: str


class ResultBound(_Payload):
    result_id: str
    analyzer_id: str
    analyzer_sample_id: str | None
    at: str
    indicators: dict[str, float]
    uncertainty: dict[str, float]


class Judged(_Payload):
    verdict: Verdict


class Rerun(_Payload):
    previous_overall: str | None


class Closed(_Payload):
    """release, turn_back, lab_sample, cancel: the verdict then and whether a case stays open."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"lab_sample_id"})

    overall: str | None
    case_open: bool
    lab_sample_id: str | None = None


class CaseClosed(_Payload):
    pass


TransitionData = Arrived | Registered | FastPassChecked | Sampled | ResultBound | Judged | Rerun
PAYLOADS: dict[str, type[_Payload]] = {
    "arrive": Arrived,
    "register": Registered,
    "check_fast_pass": FastPassChecked,
    "take_sample": Sampled,
    "bind_result": ResultBound,
    "judge": Judged,
    "rerun": Rerun,
    "release": Closed,
    "turn_back": Closed,
    "lab_sample": Closed,
    "cancel": Closed,
    "close_case": CaseClosed,
}


@register
class InspectionTransition(Record):
    """The inspection moved from ``from_state`` to ``to``; ``data`` is the action's payload."""

    KIND = "inspection.transition"

    checkpoint_id: str = Field(min_length=1)
    inspection_id: str = Field(min_length=1)
    plate: str
    seq: int = Field(ge=1)
    action: str
    from_state: str | None = Field(alias="from")
    to: str
    at: str
    operator: str
    reason: str
    data: _Payload

    @model_validator(mode="before")
    @classmethod
    def _payload(cls, raw: Any) -> Any:
        """Validate ``data`` with the model of the record's action."""
        if not isinstance(raw, dict):
            return raw
        action = raw.get("action")
        model = PAYLOADS.get(action) if isinstance(action, str) else None
        if model is None:
            raise ValueError(f"unknown action {action!r}")
        data = raw.get("data")
        if not isinstance(data, model):
            data = model.model_validate(data if data is not None else {})
        return {**raw, "data": data}

    def wire_body(self) -> dict[str, Any]:
        out = super().wire_body()
        out["data"] = payload_body(self.data)
        return out


def payload_body(p: _Payload) -> dict[str, Any]:
    out = p.model_dump(mode="json")
    for name in p.OMIT_IF_NONE:
        if out.get(name, 0) is None:
            del out[name]
    return out
