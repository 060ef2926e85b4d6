"""Equipment status: when each analyzer and camera was last heard, its errors, its resets,
its lost results.

``device_state`` is the one status of a device: the equipment table, /metrics
and the device alerts all read it, so the table never says "正常" while an
alert says "无响应".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from coalguard.edge.clock import Clock
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso, parse_iso


class DeviceState(StrEnum):
    OK = "ok"
    SILENT = "silent"  # a camera that stopped pushing
    NOT_ANSWERING = "not_answering"  # a polled device without a good answer for too long
    NEVER_HEARD = "never_heard"  # declared, not heard yet, no error either


def device_state(d: dict[str, Any], now: datetime) -> DeviceState:
    """The status of one ``devices`` row at ``now``."""
    if d["silent_since"]:
        return DeviceState.SILENT
    limit = d.get("offline_after_s")
    if d["last_seen"] is None:
        return DeviceState.NOT_ANSWERING if d["errors"] else DeviceState.NEVER_HEARD
    if limit and now - parse_iso(d["last_seen"]) > timedelta(seconds=limit):
        return DeviceState.NOT_ANSWERING
    return DeviceState.OK


class Devices:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def declare(self, kind: str, device_id: str, offline_after_s: float | None = None) -> None:
        with self.store.tx() as db:
            db.execute(
                "INSERT INTO devices(device_id, kind, offline_after_s) VALUES (?, ?, ?) "
                "ON CONFLICT(device_id) DO UPDATE SET offline_after_s = excluded.offline_after_s",
                (device_id, kind, offline_after_s),
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
        """Every device with its ``state`` (``device_state`` now)."""
        now = self.clock.now()
        rows = self.store.rows("SELECT * FROM devices ORDER BY kind, device_id")
        return [_with_state(dict(r), now) for r in rows]

    def get(self, device_id: str) -> dict[str, Any] | None:
        r = self.store.row("SELECT * FROM devices WHERE device_id = ?", (device_id,))
        return _with_state(dict(r), self.clock.now()) if r else None


def _with_state(d: dict[str, Any], now: datetime) -> dict[str, Any]:
    d["state"] = device_state(d, now)
    return d
