"""Bounded CO message history: old heartbeats become hourly summaries.

``co_message`` grows by one row per heartbeat (~144 million a day at province
scale). Heartbeats (kind ``state``) older than ``keep`` are folded into
``co_message_hourly`` (per device per hour: min/max/last CO ppm, last battery,
count) and deleted, in batches. Events (alarm_start …) are never deleted.

Each batch is one transaction: take the ``co.retention`` lease (one replica at
a time, and it sees the last batch's commit), read the oldest ``batch`` old
heartbeats, merge them into their hours, delete them, commit. Downsample and
delete commit together, so a job killed anywhere and rerun neither loses nor
counts a heartbeat twice.

On PostgreSQL ``co_message`` is partitioned (``partitions.py``): each run first
creates the day partitions of the next ``AHEAD_DAYS`` days, then for every day
partition wholly older than ``keep`` detaches it, folds it into the hourly
table and drops it (each step its own transaction under the lease: a rerun
finishes what a killed run left). The batched job then only sees the default
partition (heartbeats dated where no day partition was).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, MetaData, Table, delete, select, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.co import partitions
from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.tables import CoHourly, CoMessageRow
from coalguard.cloud.leases import Leases
from coalguard.cloud.loop_metrics import UNTIMED, LoopTimes
from coalguard.edge.clock import Clock

log = logging.getLogger("coalguard.cloud.co.retention")
LEASE = "co.retention"
AHEAD_DAYS = 3  # day partitions made this many days ahead of today
_FLAT = CoMessageRow.__table__
_DEFAULT = CoMessageRow.__table__.to_metadata(MetaData(), name=partitions.DEFAULT)


@dataclass
class Pass:
    """What one run did."""

    batches: int = 0
    deleted: int = 0
    hours: int = 0  # hourly rows written (an hour split across two batches counts twice)
    days_dropped: int = 0  # PostgreSQL day partitions folded and dropped
    days_created: int = 0


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
        self._source: Table | None = None  # where the batched job reads: table or default partition

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
        if self._table() is _DEFAULT and not self.by_day(now, done):
            return done  # another replica holds the lease, or DDL waited too long: next run
        while not (stop and stop.is_set()):
            n = self.one_batch(now, done)
            if n is None or n < self.batch:
                break
        return done

    def _table(self) -> Table:
        if self._source is None:
            with self.sessions() as s:
                split = partitions.is_partitioned(s.connection())
            self._source = _DEFAULT if split else _FLAT
        return self._source

    def by_day(self, now: datetime, done: Pass) -> bool:
        """PostgreSQL: make the days ahead, fold and drop the days past ``keep``.

        False when a step could not run (lease elsewhere, a lock not granted in time).
        """
        today = now.date()
        for k in range(AHEAD_DAYS + 1):
            day = today + timedelta(days=k)
            made = self._step(lambda c, d=day: self._create(c, d))
            if made is None:
                return False
            done.days_created += int(made)
        cutoff = now - self.keep
        with self.sessions() as s:
            conn = s.connection()
            old = [
                d for d in partitions.attached_days(conn) if d + timedelta(days=1) <= cutoff.date()
            ]
            old = sorted(set(old) | set(partitions.detached_days(conn)))
        for day in old:
            if self._step(lambda c, d=day: self._detach(c, d)) is None:
                return False
            folded = self._step(lambda c, d=day: self._fold(c, d))
            if folded is None:
                return False
            if folded:
                done.days_dropped += 1
                done.hours += folded[0]
                done.deleted += folded[1]
        return True

    @staticmethod
    def _create(conn: Connection, day: date) -> bool:
        if day in partitions.attached_days(conn):
            return False
        partitions.create_day(conn, day)
        return True

    @staticmethod
    def _detach(conn: Connection, day: date) -> bool:
        if day in partitions.attached_days(conn):
            partitions.detach(conn, day)
        return True

    @staticmethod
    def _fold(conn: Connection, day: date) -> tuple[int, int] | None:
        if day not in partitions.detached_days(conn):
            return None  # another run finished it
        return partitions.fold_and_drop(conn, day)

    def _step(self, work: Callable[[Connection], Any]) -> Any:
        """``work`` in one transaction under the lease; None when it could not run.

        A falsy result from ``work`` is returned as False (nothing to do)."""
        try:
            with self.write_lock, self.sessions.begin() as s:
                if not self.leases.take(s, LEASE):
                    return None
                return work(s.connection()) or False
        except OperationalError as exc:  # lock_timeout: ingest held the table; try next run
            log.warning("co_message partition step deferred: %s", str(exc.orig).strip())
            return None

    def one_batch(self, now: datetime, done: Pass | None = None) -> int | None:
        """Downsample and delete up to ``batch`` old heartbeats in one transaction;
        None when another replica holds the lease."""
        done = done if done is not None else Pass()
        cutoff = now - self.keep
        with self.write_lock, self.sessions.begin() as s:
            if not self.leases.take(s, LEASE):
                return None
            t = self._table()
            rows = s.execute(
                select(t.c.id, t.c.device_id, t.c.ts, t.c.payload)
                .where(t.c.kind == "state", t.c.ts < cutoff)
                .order_by(t.c.ts, t.c.id)
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
            s.execute(delete(t).where(t.c.id.in_([r[0] for r in rows])))
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
