"""Typed records shared by the edge and the cloud.

A record is born once (id and UTC timestamp at birth) and never mutated;
corrections are new records. Later issues add AnalyzerResult, CoEvent,
CameraEvent and friends here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coalguard.datafile import Number
from coalguard.edge.clock import SystemClock


def utcnow() -> datetime:
    """The wall clock for code handed no ``Clock`` (drivers, simulators, default stamps).

    Services take a ``Clock`` instead (the cloud: always), so tests pick the time.
    """
    return SystemClock().now()


@runtime_checkable
class SampleLike(Protocol):
    """Anything ``judge`` accepts: a sample id and indicator values.

    ``indicators`` maps quality-engine symbols (``Mad``, ``Aad``, ``Vdaf``,
    ``St_d``, ``Qgr_ad`` …) to values in canonical units (percent; MJ/kg).
    ``uncertainty`` optionally maps the same symbols to the measuring
    device's own absolute uncertainty, widening the retest band.
    """

    @property
    def sample_id(self) -> str: ...

    @property
    def indicators(self) -> Mapping[str, float]: ...


class Sample(BaseModel):
    """A coal sample's measured indicators, as an analyzer or a lab reports them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sample_id: str = Field(min_length=1, max_length=64)
    indicators: dict[str, Number]
    uncertainty: dict[str, Number] = Field(default_factory=dict)

    @field_validator("sample_id")
    @classmethod
    def _printable(cls, v: str) -> str:
        # It is printed and stored: no control characters or lone surrogates.
        if not v.isprintable():
            raise ValueError("sample_id holds a control character or a lone surrogate")
        return v
