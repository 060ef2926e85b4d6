"""The SQLAlchemy connection pool of a process as Prometheus gauges, read at scrape time.

A pool at its size with overflow in use and checkouts climbing means requests
wait for a connection: raise ``pool_size`` or find the slow query. Checkouts are
counted by a pool event, so the figure moves with every use of the database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

# gauge name -> (the pool's method, help); pools without the method (SQLite's
# in-memory StaticPool) leave the gauge out.
GAUGES = {
    "coalguard_db_pool_size": ("size", "Connections the pool keeps open (its configured size)"),
    "coalguard_db_pool_checked_out": ("checkedout", "Connections in use right now"),
    "coalguard_db_pool_checked_in": ("checkedin", "Idle connections held by the pool"),
    "coalguard_db_pool_overflow": ("overflow", "Connections beyond the size (negative: unused)"),
}


class PoolCollector(Collector):
    """``engine``'s pool: size, checked out, checked in, overflow, and checkouts so far."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self.checkouts = 0
        event.listen(engine, "checkout", self._checked_out)

    def _checked_out(self, *_: Any) -> None:
        with self._lock:
            self.checkouts += 1

    def collect(self) -> Iterator[Metric]:
        pool = self.engine.pool
        for name, (method, doc) in GAUGES.items():
            read = getattr(pool, method, None)
            if callable(read):
                yield GaugeMetricFamily(name, doc, value=float(read()))
        yield CounterMetricFamily(
            "coalguard_db_pool_checkouts",
            "Connections taken from the pool since the process started",
            value=self.checkouts,
        )
