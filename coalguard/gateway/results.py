"""Analyzer results stored once, and the device counter that shows results lost.

A result is keyed by its analyzer and what the device itself says about it:
its sample counter and its measured time where the model has them, plus a
digest of its values (a device whose counter restarts at 1 gives new
values). The same reading read again (a gateway restart re-reads the last
result) is the same key and is not stored twice. A manual entry or a model
with neither counter nor clock has no key: its result id alone.

A counter that jumps (4 → 7) means results were measured that the gateway
never read (5 and 6, lost while the device was faulted): counted per device
as a gap. A counter that goes back is a device reset, counted apart.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from coalguard.gateway.stored_time import iso

# A counter this close below its maximum that comes back small has wrapped.
WRAP_WINDOW = 1000


@dataclass(frozen=True)
class DeviceReading:
    """What the device says about a result: its counter (and the counter's maximum), its time."""

    sequence: int | None = None
    counter_max: int | None = None
    measured_at: datetime | None = None


def device_key(
    reading: DeviceReading | None, sample_id: str | None, indicators: dict[str, float]
) -> str | None:
    """The result's identity at its device; None when the device gives none."""
    if reading is None or (reading.sequence is None and reading.measured_at is None):
        return None
    parts = []
    if reading.sequence is not None:
        parts.append(f"seq={reading.sequence}")
    if reading.measured_at is not None:
        parts.append(f"t={iso(reading.measured_at)}")
    content = json.dumps([sample_id, sorted(indicators.items())], ensure_ascii=False)
    parts.append(hashlib.sha256(content.encode()).hexdigest()[:16])
    return ";".join(parts)


def stored_as(db: sqlite3.Connection, analyzer_id: str, key: str | None, rid: str) -> str | None:
    """The id under which this result is already stored, or None when it is new."""
    if key is not None:
        row = db.execute(
            "SELECT id FROM analyzer_results WHERE analyzer_id = ? AND device_key = ?",
            (analyzer_id, key),
        ).fetchone()
        if row:
            return str(row[0])
    row = db.execute("SELECT id FROM analyzer_results WHERE id = ?", (rid,)).fetchone()
    return str(row[0]) if row else None


def count_gap(db: sqlite3.Connection, device_id: str, reading: DeviceReading | None) -> int:
    """Results skipped by the device counter since the last stored one (0: none lost)."""
    if reading is None or reading.sequence is None:
        return 0
    row = db.execute(
        "SELECT last_sequence FROM devices WHERE device_id = ?", (device_id,)
    ).fetchone()
    if row is None:  # not a declared device (a manual entry)
        return 0
    last, seq = row[0], reading.sequence
    gap = resets = 0
    if last is not None and seq != last:
        top = reading.counter_max
        if seq > last:
            gap = seq - last - 1
        elif top is not None and last > top - WRAP_WINDOW:
            gap = (top - last) + seq - 1  # the counter runs 1..top
        else:
            resets = 1
    db.execute(
        "UPDATE devices SET last_sequence = ?, gaps = gaps + ?, "
        "counter_resets = counter_resets + ? WHERE device_id = ?",
        (seq, gap, resets, device_id),
    )
    return gap
