"""Bounded CO message history: old heartbeats become hourly summaries.

``co_message`` grows by one row per heartbeat (~144 million a day at province
scale). Heartbeats (kind ``state``) older than ``keep`` are folded into
``co_message_hourly`` (per device per hour: min/max/last CO ppm, last battery,
count) and deleted, in batches. Events (alarm_start …) are never deleted.

Each batch is one transaction: take the ``co.retention`` lease (one replica at
a time, and it sees the last batch's commit), read the oldest ``batch`` old
heartbeats, merge them into their hours, delete them, commit. Downsample and
delete commit together, so a job killed anywhere and rerun neither loses nor
counts a heartbeat twice. PostgreSQL native partitioning is not used here.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.tables import CoHourly, CoMessageRow
from coalguard.cloud.leases import Leases
from coalguard.cloud.loop_metrics import UNTIMED, LoopTimes
from coalguard.edge.clock import Clock

log = logging.getLogger("coalguard.cloud.co.retention")
LEASE = "co.retention"


@dataclass
class Pass:
    """What one run did."""

    batches: int = 0
    deleted: int = 0
    hours: int = 0  # hourly rows written (an hour split across two batches counts twice)


def _num(payload: dict[str, Any] | None, key: str) -> float | None:
    v = (payload or {}).get(key)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _fold(h: CoHourly, ts: datetime, co: float | None, battery: float | None) -> None:
    if co is not None:
        h.co_min = co if h.co_min is None else min(h.co_min, co)
        h.co_max = co if h.co_max is None else max(h.co_max, co)
    if ts >= h.last_ts:
        h.last_ts = ts
        h.co_last = co if co is not None else h.co_last
        h.battery_last = battery if battery is not None else h.battery_last
    h.count += 1


class Retention:
    """The batched job; ``run`` for the CLI, ``start``/``stop`` as a service loop."""

    def __init__(
        self,
        sessions: sessionmaker,
        keep: timedelta,
        batch: int = 5000,
        write_lock: WriteGate | None = None,
        leases: Leases | None = None,
        every_s: float = 3600.0,
        *,
        clock: Clock,
        loops: LoopTimes = UNTIMED,
    ) -> None:
        self.sessions = sessions
        self.loops = loops  # each pass's duration, as "co-retention"
        self.keep = keep
        self.batch = batch
        self.clock = clock
        self.write_lock = write_lock or WriteGate()
        self.leases = leases or Leases(clock)
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="co-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                with self.loops.time("co-retention"):
                    self.run(self.clock.now(), stop=self._stop)
            except Exception:
                log.exception("retention failed; retrying next interval")

    def run(self, now: datetime, stop: threading.Event | None = None) -> Pass:
        """Batches until no heartbeat older than ``now - keep`` is left, or another replica runs."""
        done = Pass()
        while not (stop and stop.is_set()):
            n = self.one_batch(now, done)
            if n is None or n < self.batch:
                break
        return done

    def one_batch(self, now: datetime, done: Pass | None = None) -> int | None:
        """Downsample and delete up to ``batch`` old heartbeats in one transaction;
        None when another replica holds the lease."""
        done = done if done is not None else Pass()
        cutoff = now - self.keep
        with self.write_lock, self.sessions.begin() as s:
            if not self.leases.take(s, LEASE):
                return None
            rows = s.execute(
                select(
                    CoMessageRow.id, CoMessageRow.device_id, CoMessageRow.ts, CoMessageRow.payload
                )
                .where(CoMessageRow.kind == "state", CoMessageRow.ts < cutoff)
                .order_by(CoMessageRow.ts, CoMessageRow.id)
                .limit(self.batch)
            ).all()
            if not rows:
                return 0
            hours = self._hours(s, rows)
            for _id, device_id, ts, payload in rows:
                key = (device_id, ts.replace(minute=0, second=0, microsecond=0))
                h = hours.get(key)
                if h is None:
                    h = hours[key] = CoHourly(device_id=key[0], hour=key[1], last_ts=ts, count=0)
                    s.add(h)
                _fold(h, ts, _num(payload, "co_ppm"), _num(payload, "battery_pct"))
            s.execute(
                delete(CoMessageRow)
                .where(CoMessageRow.id.in_([r[0] for r in rows]))
                .execution_options(synchronize_session=False)
            )
        done.batches += 1
        done.deleted += len(rows)
        done.hours += len(hours)
        return len(rows)

    @staticmethod
    def _hours(s: Session, rows: list[Any]) -> dict[tuple[str, datetime], CoHourly]:
        """The hours this batch touches that earlier batches already summarised."""
        keys = {(r[1], r[2].replace(minute=0, second=0, microsecond=0)) for r in rows}
        found: dict[tuple[str, datetime], CoHourly] = {}
        keylist = sorted(keys)
        for i in range(0, len(keylist), 500):
            part = keylist[i : i + 500]
            for h in s.scalars(
                select(CoHourly).where(tuple_(CoHourly.device_id, CoHourly.hour).in_(part))
            ):
                found[(h.device_id, h.hour)] = h
        return found
