"""Clocks the outbox and uplink read time from.

Production uses ``SystemClock``; tests use ``ManualClock`` to make hours of
outage, telemetry expiry and retention happen in microseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coalguard.edge.clock import Clock, ManualClock, SystemClock

__all__ = ["Clock", "ManualClock", "SystemClock", "from_us", "to_us"]


def to_us(t: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float)."""
    return (t - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
