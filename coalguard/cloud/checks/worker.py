"""The cloud process's background loop: project new records, sweep deadlines and
remind the office of unacknowledged referrals.

Woken by each stored batch (``kick``) and every ``interval_s`` otherwise;
ingest never waits for it. With several replicas each pass takes its lease
(``leases``) first: one projects and one sweeps at a time, so a record is
projected, a lab-overdue alert raised and an escalation step taken once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.casework.ledger import sweep_overdue as sweep_ledger_deadlines
from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.checks.deadlines import sweep_lab_deadlines
from coalguard.cloud.checks.projector import Projector
from coalguard.cloud.delivery.milestones import sweep_delivery
from coalguard.cloud.leases import Leases
from coalguard.cloud.loop_metrics import UNTIMED, LoopTimes
from coalguard.cloud.market.cases import sweep_overdue as sweep_case_deadlines
from coalguard.cloud.market.sampling import sweep_market_deadlines
from coalguard.cloud.patrols.frequency import shipped_frequency
from coalguard.cloud.patrols.overdue import sweep_overdue as sweep_overdue_patrols
from coalguard.cloud.referrals.cases import ReferralPolicy, remind_due
from coalguard.edge.clock import Clock

log = logging.getLogger("coalguard.cloud.checks")
SWEEP_LEASE = "checks.sweep"
PROJECTOR_LEASE = "checks.projector"


def sweep(
    sessions: sessionmaker,
    now: datetime,
    leases: Leases,
    referrals: ReferralPolicy | None = None,
) -> int:
    """One pass of the cloud's own checks (lab deadlines, escalation, referral reminders,
    overdue market sampling tasks, case steps and issue ledger items, delivery milestones and
    reserve, overdue grid patrols); 0 when another replica is sweeping right now."""
    with sessions.begin() as s:
        if not leases.take(s, SWEEP_LEASE):
            return 0
        n = sweep_lab_deadlines(s, now) + cp_alerts.escalate_due(s, now)
        n += sweep_market_deadlines(s, now) + sweep_case_deadlines(s, now)
        n += sweep_ledger_deadlines(s, now)
        n += sweep_delivery(s, now)
        n += sweep_overdue_patrols(s, now, shipped_frequency())
        return n + remind_due(s, referrals or ReferralPolicy(), now)


def projector_claim(leases: Leases) -> Callable[[Session], bool]:
    """The projector's guard: one replica projects at a time (``Projector(claim=…)``)."""
    return lambda s: leases.take(s, PROJECTOR_LEASE)


class ChecksWorker:
    def __init__(
        self,
        sessions: sessionmaker,
        projector: Projector,
        interval_s: float,
        clock: Clock,
        leases: Leases,
        *,
        loops: LoopTimes = UNTIMED,
    ) -> None:
        self.sessions = sessions
        self.loops = loops  # each pass's duration: "projector", "checks-sweep"
        self.leases = leases
        self.projector = projector
        self.interval_s = interval_s
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listeners: list[Callable[[], None]] = []

    def kick(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cloud-checks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                with self.loops.time("projector"):
                    projected = self.projector.run_until_idle()
                if projected:
                    for fn in self.listeners:
                        fn()
                with self.loops.time("checks-sweep"):
                    sweep(self.sessions, self.clock.now(), self.leases, self.projector.referrals)
            except Exception:  # keep going: the next pass retries
                log.exception("checks worker pass failed")
