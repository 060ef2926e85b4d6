"""Times as whole microseconds since the epoch: how the outbox stores and compares them.

The clock itself lives in ``coalguard.edge.clock`` (one home for every layer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

__all__ = ["from_us", "iso_utc", "to_us"]


def to_us(t: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float)."""
    return (t - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def iso_utc(us: int) -> str:
    """``from_us(us).isoformat()``, without a datetime per call.

    A catch-up writes the birth time of every record it sends; records of one
    batch share a few seconds, so the text of each second is made once.
    """
    seconds, micros = divmod(us, 1_000_000)
    if micros:
        return f"{_second_text(seconds)}.{micros:06d}+00:00"
    return f"{_second_text(seconds)}+00:00"


@lru_cache(maxsize=4096)
def _second_text(seconds: int) -> str:
    return (_EPOCH + timedelta(seconds=seconds)).replace(tzinfo=None).isoformat()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
