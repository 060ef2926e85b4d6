"""Retry timing: exponential backoff with full jitter, and ``Retry-After``.

Full jitter (a uniform draw between 0 and the capped exponential) spreads
hundreds of checkpoints that lost the same uplink, so they do not all come
back in the same second when it returns.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class Backoff:
    """Delay before retry ``attempt`` (1 for the first retry)."""

    def __init__(
        self, base_s: float = 1.0, cap_s: float = 300.0, rng: random.Random | None = None
    ) -> None:
        if base_s <= 0 or cap_s < base_s:
            raise ValueError("backoff needs 0 < base_s <= cap_s")
        self.base_s = base_s
        self.cap_s = cap_s
        self._rng = rng or random.Random()

    def ceiling(self, attempt: int) -> float:
        return min(self.cap_s, self.base_s * 2 ** min(max(attempt - 1, 0), 62))

    def delay(self, attempt: int) -> float:
        return self._rng.uniform(0, self.ceiling(attempt))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date from ``now``)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
