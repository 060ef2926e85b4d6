"""Camera events as accepted at the gateway, and metadata purges."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from coalguard.edge.records.base import Record, register


@register
class CameraEventRecord(Record):
    """A pushed camera event (``docs/camera-events.md``; vendor extras kept) and its link."""

    KIND = "camera.event"
    model_config = ConfigDict(extra="allow")

    checkpoint_id: str = Field(min_length=1)
    record_id: str
    inspection_id: str | None
    received_at: str
    v: int
    camera_id: str
    event_id: str
    type: str
    ts: str
    plate: str | None = None
    plate_color: str | None = None
    confidence: float | None = None
    direction: str | None = None
    lane: str | None = None
    track_id: str | None = None
    snapshot: dict[str, Any] | None = None
    clip: dict[str, Any] | None = None


@register
class CameraPurge(Record):
    """One retention run: camera metadata older than ``cutoff`` deleted, held events kept."""

    KIND = "camera.purge"

    checkpoint_id: str = Field(min_length=1)
    at: str
    cutoff: str
    examined: int
    purged: int
    held: int
    batches: int
