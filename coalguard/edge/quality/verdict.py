"""The Verdict: what the judge decided, and everything needed to check it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from coalguard.edge.model import utcnow


class Status(StrEnum):
    """One indicator's outcome against its limit."""

    PASS = "pass"
    RETEST = "retest"  # outside the limit by no more than the band
    FAIL = "fail"
    MISSING = "missing"  # cannot be computed from what was measured
    UNSET = "unset"  # the profile names the indicator but sets no value


class Overall(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    RETEST = "retest"
    INCOMPLETE = "incomplete"
    NO_LIMITS = "no_limits"  # the profile has no verified limit to judge by


class IndicatorVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    indicator: str
    unit: str
    status: Status
    min: float | None = None
    max: float | None = None
    value: float | None = Field(None, description="converted to the limit's basis, rounded")
    band: float | None = None
    band_source: str | None = None
    measured: dict[str, float] = Field(default_factory=dict, description="inputs used")
    formula: str | None = None
    estimated: bool = False
    missing: list[str] = Field(default_factory=list)


class Verdict(BaseModel):
    """A judged sample. ``provisional`` when the profile is not verified.

    ``profile_set`` is the version (``label@hash``) of the profile set the
    profile came from, so the cloud re-judges with the same set; verdicts
    made before sets were versioned have none (the key is then left out).
    """

    model_config = ConfigDict(frozen=True)

    sample_id: str
    profile_id: str
    profile_version: str
    profile_title: str
    profile_source: str
    provisional: bool
    overall: Overall
    indicators: list[IndicatorVerdict]
    notes: list[str] = Field(default_factory=list)
    judged_at: datetime = Field(default_factory=utcnow)
    profile_set: str | None = None

    @model_serializer(mode="wrap")
    def _omit_unversioned(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out = handler(self)
        if out.get("profile_set", 0) is None:
            del out["profile_set"]
        return out
