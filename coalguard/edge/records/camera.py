"""Camera events as accepted at the gateway, and metadata purges."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from coalguard.edge.records.base import CheckpointRecord, register


@register
class CameraEventRecord(CheckpointRecord):
    """A pushed camera event (``docs/camera-events.md``; vendor extras kept) and its link."""

    KIND = "camera.event"
    model_config = ConfigDict(extra="allow")

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
class CameraPurge(CheckpointRecord):
    """One retention run: camera metadata older than ``cutoff`` deleted, held events kept."""

    KIND = "camera.purge"

    at: str
    cutoff: str
    examined: int
    purged: int
    held: int
    batches: int
