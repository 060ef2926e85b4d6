"""The camera push event (v1): what a checkpoint camera POSTs to the gateway.

Documented in ``docs/camera-events.md``. Unknown fields are kept (``extra``);
a time without a zone, a confidence outside 0..1 or a malformed SHA-256 is
refused with the field named.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from coalguard.errors import InputError

_SHA = re.compile(r"^[0-9a-f]{64}$")
# A camera clock outside these years is wrong (a dead RTC battery, a typo), not a time
# to store: years 1 and 9999 with an offset do not even exist in UTC.
MIN_YEAR, MAX_YEAR = 2000, 2099


def _plausible(v: datetime | None) -> datetime | None:
    if v is None:
        return v
    try:
        utc = v.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"time {v.isoformat()} is outside the representable range") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(f"time {v.isoformat()} is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return v


class MediaRef(BaseModel):
    """Where the snapshot or clip is (camera/NVR path or URL) and its SHA-256."""

    model_config = ConfigDict(extra="allow", frozen=True)

    ref: str = Field(min_length=1, max_length=500)
    sha256: str
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        v = v.lower()
        if not _SHA.match(v):
            raise ValueError("sha256 must be 64 hexadecimal digits")
        return v

    _times = field_validator("start", "end")(_plausible)


class CameraEvent(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    v: Literal[1] = 1
    camera_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
    event_id: str = Field(min_length=1, max_length=128)
    type: Literal["plate", "snapshot", "clip"]
    ts: AwareDatetime
    plate: str | None = Field(default=None, max_length=16)
    plate_color: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    direction: Literal["in", "out", "unknown"] | None = None
    lane: str | None = None
    track_id: str | None = None
    snapshot: MediaRef | None = None
    clip: MediaRef | None = None

    _ts = field_validator("ts")(_plausible)

    @model_validator(mode="after")
    def _shape(self) -> CameraEvent:
        if self.type == "plate" and not self.plate:
            raise ValueError("a plate event needs plate")
        if self.type == "plate" and self.confidence is None:
            raise ValueError("a plate event needs confidence")
        if self.type == "snapshot" and self.snapshot is None:
            raise ValueError("a snapshot event needs snapshot {ref, sha256}")
        if self.type == "clip" and self.clip is None:
            raise ValueError("a clip event needs clip {ref, sha256}")
        return self

    @property
    def at(self) -> datetime:
        return self.ts


def parse_event(data: Any) -> CameraEvent:
    """Validate one pushed event; InputError names the field."""
    try:
        return CameraEvent.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(event)"
        msg = err["msg"].removeprefix("Value error, ")
        raise InputError(f"camera event field '{field}': {msg}") from None
