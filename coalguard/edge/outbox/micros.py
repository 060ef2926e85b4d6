"""Times as whole microseconds since the epoch: how the outbox stores and compares them.

The clock itself lives in ``coalguard.edge.clock`` (one home for every layer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["from_us", "to_us"]


def to_us(t: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float)."""
    return (t - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
