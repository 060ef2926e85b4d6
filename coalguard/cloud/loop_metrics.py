"""How long each background loop's pass takes: one histogram labelled by loop.

The sweeps, the retention job, the notifiers and the projector each time their
passes with ``LoopTimes.time(loop)``; a process that serves no metrics keeps
``UNTIMED``, which records nothing. A pass that takes longer and longer is the
first sign a sweep no longer fits its interval (a table scan, a lock held).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Histogram

# From a pass that found nothing to do (~1 ms) to one that took a minute.
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class LoopTimes:
    """``coalguard_loop_duration_seconds{loop}`` in ``registry`` (none: nothing recorded)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.histogram = (
            Histogram(
                "coalguard_loop_duration_seconds",
                "Duration of one pass of a background loop (sweep, retention, notifier, projector)",
                ["loop"],
                buckets=BUCKETS,
                registry=registry,
            )
            if registry is not None
            else None
        )

    @contextmanager
    def time(self, loop: str) -> Iterator[None]:
        """Observe how long the block takes (also when it raises: a failed pass took time)."""
        if self.histogram is None:
            yield
            return
        start = time.perf_counter()  # an interval, not the time of day (edge/clock.py)
        try:
            yield
        finally:
            self.histogram.labels(loop).observe(time.perf_counter() - start)


UNTIMED = LoopTimes()
