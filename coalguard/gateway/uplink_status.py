"""What the gateway knows about its way to the cloud, for /metrics and the page.

The record sink reports its own depth; once the edge uplink is wired in, the
composition root passes a function that reads its state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coalguard.edge.clock import Clock
from coalguard.edge.outbox import OutboxCore
from coalguard.edge.uplink import Uplink
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import parse_iso


@dataclass(frozen=True)
class UplinkStatus:
    state: str  # the uplink's status (starting, connected, backing_off, stopped) or not_configured
    outbox_depth: int
    oldest_unsent_s: float
    drops: int = 0
    sent: int = 0
    health: str = "ok"  # the outbox's: ok | over_quota | disk_floor


StatusFn = Callable[[], UplinkStatus]


def store_sink_status(store: Store, clock: Clock) -> StatusFn:
    """Status when records stay in the gateway database (no uplink wired)."""

    def status() -> UplinkStatus:
        row = store.row("SELECT COUNT(*), MIN(born_at) FROM records")
        depth, oldest = (row[0], row[1]) if row else (0, None)
        age = (clock.now() - parse_iso(oldest)).total_seconds() if oldest else 0.0
        return UplinkStatus("not_configured", int(depth), max(age, 0.0))

    return status


def outbox_status(outbox: OutboxCore, uplink: Uplink | None) -> StatusFn:
    """Status from the edge outbox and, when configured, its uplink."""

    def status() -> UplinkStatus:
        stats = outbox.stats()
        c = stats.counters
        drops = c.get("dropped_telemetry_quota", 0) + c.get("dropped_telemetry_expired", 0)
        state = uplink.state().status if uplink else "not_configured"
        return UplinkStatus(
            state,
            stats.pending,
            stats.oldest_pending_age_s or 0.0,
            drops,
            c.get("acked", 0),
            stats.health,
        )

    return status
