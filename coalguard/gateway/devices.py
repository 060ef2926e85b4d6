"""Equipment status: when each analyzer and camera was last heard, its errors, its resets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coalguard.edge.clock import Clock
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso


class Devices:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def declare(self, kind: str, device_id: str) -> None:
        with self.store.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO devices(device_id, kind) VALUES (?, ?)", (device_id, kind)
            )

    def seen(self, device_id: str) -> bool:
        """Mark the device heard now; True when it had been silent."""
        with self.store.tx() as db:
            row = db.execute(
                "SELECT silent_since FROM devices WHERE device_id = ?", (device_id,)
            ).fetchone()
            db.execute(
                "UPDATE devices SET last_seen = ?, silent_since = NULL WHERE device_id = ?",
                (iso(self.clock.now()), device_id),
            )
            return bool(row and row[0])

    def error(self, device_id: str, message: str) -> None:
        with self.store.tx() as db:
            db.execute(
                "UPDATE devices SET errors = errors + 1, last_error = ? WHERE device_id = ?",
                (message[:500], device_id),
            )

    def sync(
        self, device_id: str, last_seen: datetime | None, errors: int, last_error: str | None
    ) -> None:
        """Copy a driver's own counters (analyzers keep theirs in DeviceStats)."""
        with self.store.tx() as db:
            db.execute(
                "UPDATE devices SET last_seen = COALESCE(?, last_seen), errors = ?, "
                "last_error = ? WHERE device_id = ?",
                (iso(last_seen) if last_seen else None, errors, last_error, device_id),
            )

    def counter_run(self, device_id: str) -> int:
        """Which run of its event counter the device is on: its resets so far."""
        return int(
            self.store.scalar(
                "SELECT counter_resets FROM devices WHERE device_id = ?", (device_id,)
            )
            or 0
        )

    def counter_reset(self, device_id: str) -> int:
        """Count one more restart of the device's event counter; returns the new run."""
        with self.store.tx() as db:
            db.execute(
                "UPDATE devices SET counter_resets = counter_resets + 1 WHERE device_id = ?",
                (device_id,),
            )
        return self.counter_run(device_id)

    def mark_silent(self, device_id: str) -> None:
        with self.store.tx() as db:
            db.execute(
                "UPDATE devices SET silent_since = ? WHERE device_id = ? AND silent_since IS NULL",
                (iso(self.clock.now()), device_id),
            )

    def all(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.store.rows("SELECT * FROM devices ORDER BY kind, device_id")]

    def get(self, device_id: str) -> dict[str, Any] | None:
        r = self.store.row("SELECT * FROM devices WHERE device_id = ?", (device_id,))
        return dict(r) if r else None
