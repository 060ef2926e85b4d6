"""Time-driven checks: silent alarms, escalation, commissioning deadlines.

Runs every ``sweep_s``; each pass is idempotent transactions that each first
take the ``co.sweep`` lease (``leases``), so with several workers one sweeps
at a time and sees what the last one committed: no alert is opened, and no
escalation step notified, twice. Silent alarms are raised in batches of
``silent_batch``, one transaction and one turn of the write gate each, so after
a broker outage thousands of silent alarms never hold the ingest up for long.
Where the rules have an ``[outage]`` table, many alarms of one area silent at
once are one incident instead (``outage.py``), worked in the same batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Select, false, select
from sqlalchemy.orm import sessionmaker

from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.outage import OutageWatch, Probe, held
from coalguard.cloud.co.tables import CoCommissioning, CoDevice
from coalguard.cloud.leases import Leases
from coalguard.cloud.loop_metrics import UNTIMED, LoopTimes
from coalguard.edge.clock import Clock

log = logging.getLogger("coalguard.cloud.co.sweeper")
LEASE = "co.sweep"
SILENT_BATCH = 200


def silent_due(cutoff: datetime, limit: int) -> Select[tuple[CoDevice]]:
    """Alarms not heard since ``cutoff`` and not yet alerted, oldest first.

    Served by ``ix_co_device_silence`` (silent_alerted, last_heard_at): a range
    read, not a scan of every alarm each second."""
    return (
        select(CoDevice)
        .where(CoDevice.silent_alerted == false(), CoDevice.last_heard_at < cutoff)
        .order_by(CoDevice.last_heard_at)
        .limit(limit)
    )


class Sweeper:
    def __init__(
        self,
        sessions: sessionmaker,
        book: AlertBook,
        every_s: float,
        on_notifications: Callable[[], None] = lambda: None,
        write_lock: WriteGate | None = None,
        leases: Leases | None = None,
        *,
        clock: Clock,
        silent_batch: int = SILENT_BATCH,
        probe: Probe = lambda: None,
        loops: LoopTimes = UNTIMED,
    ) -> None:
        """``probe``: a cause when this process cannot hear the alarms (co-ingest's broker
        connection down): silent alarms then join one incident, not an alert each."""
        self.loops = loops  # each pass's duration, as "co-sweeper"
        self.clock = clock  # the loop sweeps at the clock's time
        self.write_lock = write_lock or WriteGate()
        self.leases = leases or Leases(clock)
        self.sessions = sessions
        self.book = book
        self.every_s = every_s
        self.silent_batch = silent_batch
        self.on_notifications = on_notifications
        self.outages = OutageWatch(book, silent_batch, probe) if book.rules.outage else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="co-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                with self.loops.time("co-sweeper"):
                    self.sweep(self.clock.now())
            except Exception:
                log.exception("sweep failed; retrying next interval")

    def sweep(self, now: datetime) -> bool:
        """One pass; False when another worker is sweeping right now (it does the work)."""
        created = self.book.created
        try:
            return self._pass(now)
        finally:
            if self.book.created != created:
                self.on_notifications()

    def _pass(self, now: datetime) -> bool:
        """Outage and silent batches until both come back short, then escalation and
        commissioning."""
        more = True
        while more:
            with self.write_lock, self.sessions.begin() as s:
                if not self.leases.take(s, LEASE):
                    return False
                more = self.outages.step(s, now) if self.outages else False
                more = more or self._offline(s, now) or self._silent(s, now)
                if not more:
                    self.book.escalate_due(s, now)
                    self._commissioning(s, now)
        return True

    def _silent(self, s, now: datetime) -> bool:  # type: ignore[no-untyped-def]
        """No state for offline_after_heartbeats x heartbeat_s: the alarm cannot sound.

        Raises at most ``silent_batch``; True when there may be more."""
        rule = next((r for r in self.book.rules.rule if r.silent), None)
        if rule is None:
            return False
        cutoff = now - timedelta(seconds=self.book.rules.silence_s)
        due = list(s.scalars(silent_due(cutoff, self.silent_batch)))
        # Those of an area that is out are counted in its incident instead.
        alone = self.outages.alone(s, due, now) if self.outages else due
        for dev in alone:
            dev.silent_alerted, dev.offline_at = True, None
            last = dev.last_state_at.isoformat() if dev.last_state_at else None
            self.book.raise_(s, dev, rule, now, {"cause": "silent", "last_state_at": last})
        return len(due) == self.silent_batch

    def _offline(self, s, now: datetime) -> bool:  # type: ignore[no-untyped-def]
        """Last wills held ``offline_grace_s``: the alarm joins its area's incident, or
        gets its own offline alert. At most ``silent_batch``; True when there may be more."""
        cfg = self.book.rules.outage
        rule = next((r for r in self.book.rules.rule if r.availability == "offline"), None)
        if self.outages is None or cfg is None or rule is None:
            return False
        due = list(s.scalars(held(now - timedelta(seconds=cfg.offline_grace_s), self.silent_batch)))
        for dev in self.outages.alone(s, due, now):
            dev.silent_alerted, at, dev.offline_at = True, dev.offline_at, None
            self.book.raise_(s, dev, rule, now, {"cause": "last_will", "offline_at": _iso(at)})
        return len(due) == self.silent_batch

    @staticmethod
    def _commissioning(s, now: datetime) -> None:  # type: ignore[no-untyped-def]
        for c in s.scalars(
            select(CoCommissioning).where(
                CoCommissioning.status == "waiting", CoCommissioning.deadline < now
            )
        ):
            c.status = "failed"
            c.finished_at = now
            c.missing = [
                what
                for what, at in (("test_event", c.test_event_at), ("state", c.state_at))
                if at is None
            ]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
