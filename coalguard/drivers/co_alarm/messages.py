"""Typed CO alarm messages of the MQTT v1 contract (``docs/co-alarm-mqtt.md``).

Plain frozen dataclasses: the ingest path parses thousands of these a second,
so no validation framework sits in the hot loop. Unknown payload fields are
kept in ``extra`` (the contract says they are kept, never rejected).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AlarmLevel(StrEnum):
    NONE = "none"
    WARNING = "warning"
    ALARM = "alarm"


class EventType(StrEnum):
    ALARM_START = "alarm_start"
    ALARM_END = "alarm_end"
    TEST = "test"
    TAMPER = "tamper"
    LOW_BATTERY = "low_battery"
    FAULT = "fault"
    EOL = "eol"
    POWER_ON = "power_on"


@dataclass(frozen=True, slots=True)
class CoState:
    """Periodic heartbeat of one alarm (``co/v1/{id}/state``)."""

    device_id: str
    ts: datetime
    seq: int
    co_ppm: float
    battery_pct: float
    alarm: AlarmLevel
    tamper: bool
    fault: str | None
    eol: bool
    extra: dict[str, Any] = field(default_factory=dict)

    kind = "state"


@dataclass(frozen=True, slots=True)
class CoEvent:
    """Something that happened at one alarm (``co/v1/{id}/event``)."""

    device_id: str
    ts: datetime
    seq: int
    type: EventType
    co_ppm: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    kind = "event"


@dataclass(frozen=True, slots=True)
class Availability:
    """Retained ``online``/``offline`` (``offline`` is the alarm's MQTT last will)."""

    device_id: str
    online: bool

    kind = "availability"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that does not follow the contract, and why (for the dead-letter table)."""

    topic: str
    payload: bytes
    reason: str
    device_id: str | None = None
    seq: int | None = None  # when the payload had a valid one


CoMessage = CoState | CoEvent | Availability
