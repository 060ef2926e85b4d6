"""Injectable time for the edge and the gateway.

Production uses ``SystemClock``; tests use ``ManualClock`` so that hours of
outage, lab deadlines and 90-day retention happen in microseconds.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
"""The zone every time shown to a person is in (offices, checkpoints, reports)."""


def to_local(dt: datetime | str) -> datetime:
    """``dt`` (aware, or ISO text) in Asia/Shanghai; naive values are taken as UTC."""
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(LOCAL_ZONE)


def format_local(dt: datetime | str, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """``dt`` as people read it: Asia/Shanghai wall time (storage stays UTC)."""
    return to_local(dt).strftime(fmt)


class Clock(Protocol):
    """A source of timezone-aware UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (thread-safe)."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds); returns the new time."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        if delta < timedelta(0):
            raise ValueError("a clock does not run backwards")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (scenario replays; property tests of retention)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware time")
        with self._lock:
            self._now = when.astimezone(UTC)
