"""AnalyzerResult: one sample result as the analyzer reported it, typed.

It satisfies ``coalguard.edge.model.SampleLike`` (``sample_id``,
``indicators`` in canonical units, ``uncertainty``), so
``edge.quality.judge(result, profile)`` takes it directly. The id and the
receive time are given at receipt and never change.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from coalguard.edge.model import utcnow


class DeviceIdentity(BaseModel):
    """Which instrument produced a result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    manufacturer: str
    model: str
    serial: str | None = None
    unit_id: int | None = None
    port: str = ""
    map_id: str = ""


class AnalyzerResult(BaseModel):
    """A new sample result from a rapid analyzer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID = Field(default_factory=uuid4)
    sample_id: str = Field(min_length=1, max_length=64)
    sample_id_from_device: bool = Field(
        True, description="False when the device gave none and the driver made one up"
    )
    indicators: dict[str, float]
    uncertainty: dict[str, float] = Field(default_factory=dict)
    analyzer_time: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    device: DeviceIdentity
    sequence: int | None = None
    device_faults: tuple[str, ...] = ()
    status_bits: tuple[str, ...] = ()
    extra: dict[str, float] = Field(default_factory=dict)

    def to_json_line(self) -> dict[str, object]:
        """The document ``coalguard analyzer read`` prints."""
        return self.model_dump(mode="json")
