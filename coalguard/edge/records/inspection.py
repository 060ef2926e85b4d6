"""``inspection.transition``: one step of a truck's inspection, with a typed payload per action.

Version 2 (issue 12) adds the ``unbind_result`` correction, the lane a sample
was taken at and the measured time of a bound result; version 1 bodies keep
decoding (``InspectionTransition``). Version 3 (issue 16) adds the destination's
zone check to ``register`` and the ``hold_for_seizure`` step (查扣: coal bound for
a 禁煤区 village); the gateway writes version 3.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from coalguard.edge.quality.verdict import Verdict
from coalguard.edge.records.base import CheckpointRecord, explain, register


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset()


class Arrived(_Payload):
    plate: str
    source: str


class Registered(_Payload):
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"plate_corrected_from", "consignor"})

    plate: str
    driver: str
    origin: str
    destination: str
    coal_type: str
    weight_t: float
    waybill_no: str
    profile_id: str
    plate_corrected_from: str | None = None
    consignor: str | None = None  # the consigning company; absent before fast-pass checks


class FastPassChecked(_Payload):
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"mismatches"})

    plate: str
    green: bool
    reason: str  # listed | not_listed | mismatch (before the checks: expired)
    company: str | None
    report_id: str | None
    expires: str | None
    # Each refusal reason: ``code`` (a ``[fastpass_check]`` catalog key) and its parameters.
    mismatches: list[dict[str, str]] | None = None


class Sampled(_Payload):
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"lane"})

    sample_id: str
    seal_no: str
    sampler: str
    taken_at: str
    lane: str | None = None  # version 2


class ResultBound(_Payload):
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"measured_at"})

    result_id: str
    analyzer_id: str
    analyzer_sample_id: str | None
    at: str
    indicators: dict[str, float]
    uncertainty: dict[str, float]
    measured_at: str | None = None  # version 2


class ResultUnbound(_Payload):
    """Version 2: a bound result taken off its sample (the reason is the step's)."""

    result_id: str
    analyzer_id: str
    sample_id: str
    previous_overall: str | None


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


class ZoneFinding(_Payload):
    """Version 3: what the gateway's zone list said of the declared destination village.

    ``status``: held (a 禁煤区, the fuel not allowed) · in_zone · outside · no_list.
    """

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset(
        {"name", "kind", "published_on", "list_version"}
    )

    status: str = Field(pattern="^(held|in_zone|outside|no_list)$")
    village: str = Field(pattern=r"^[0-9]{6,12}$")
    name: str | None = None
    kind: str | None = None
    published_on: str | None = None
    list_version: str | None = None


class RegisteredV3(Registered):
    """Version 3: the registration with its destination's zone check (when declared)."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset(
        {"plate_corrected_from", "consignor", "zone"}
    )

    zone: ZoneFinding | None = None


class HeldForSeizure(_Payload):
    """Version 3: 查扣 — the truck is not let go; the zone it was bound for."""

    overall: str | None
    case_open: bool
    zone: ZoneFinding


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
PAYLOADS_V2: dict[str, type[_Payload]] = {**PAYLOADS, "unbind_result": ResultUnbound}
PAYLOADS_V3: dict[str, type[_Payload]] = {
    **PAYLOADS_V2,
    "register": RegisteredV3,
    "hold_for_seizure": HeldForSeizure,
}


@register
class InspectionTransition(CheckpointRecord):
    """The inspection moved from ``from_state`` to ``to``; ``data`` is the action's payload."""

    KIND = "inspection.transition"
    PAYLOADS: ClassVar[dict[str, type[_Payload]]] = PAYLOADS

    inspection_id: str = Field(min_length=1)
    plate: str
    seq: int = Field(ge=1)
    action: str
    from_state: str | None = Field(alias="from")
    to: str
    at: str
    operator: str
    reason: str
    data: SerializeAsAny[_Payload]

    @field_validator("data", mode="before")
    @classmethod
    def _payload(cls, data: Any, info: ValidationInfo) -> Any:
        """Validate ``data`` with the model of the record's action."""
        action = info.data.get("action")
        model = cls.PAYLOADS.get(action) if isinstance(action, str) else None
        if model is None:
            raise ValueError(f"no payload model for action {action!r}")
        if isinstance(data, model):
            return data
        try:
            return model.model_validate(data if data is not None else {})
        except ValidationError as exc:
            raise ValueError(f"{action} payload: {explain(exc)}") from None

    def wire_body(self) -> dict[str, Any]:
        out = super().wire_body()
        out["data"] = payload_body(self.data)
        return out


def payload_body(p: _Payload) -> dict[str, Any]:
    out = p.model_dump(mode="json")
    for name in p.OMIT_IF_NONE:
        if out.get(name, 0) is None:
            del out[name]
    for name, value in vars(p).items():  # nested payloads omit their own empty fields
        if isinstance(value, _Payload):
            out[name] = payload_body(value)
    return out


@register
class InspectionTransitionV2(InspectionTransition):
    """Version 2: what the gateway writes now (see the module docstring)."""

    VERSION = 2
    PAYLOADS: ClassVar[dict[str, type[_Payload]]] = PAYLOADS_V2


@register
class InspectionTransitionV3(InspectionTransition):
    """Version 3: what the gateway writes now (see the module docstring)."""

    VERSION = 3
    PAYLOADS: ClassVar[dict[str, type[_Payload]]] = PAYLOADS_V3
