"""Delivers pending notification rows through their channels, with retries.

Rows are written with the alert (durable first); this worker sends them,
marks them sent, or backs off (1 s, 2 s, 4 s … capped) and finally marks them
failed with the last error. ``channel_health`` makes failures visible.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.co.channels import Channel, ChannelError
from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.tables import CoNotification
from coalguard.edge.model import utcnow

log = logging.getLogger("coalguard.cloud.co.notify")


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    first_backoff_s: float = 1.0
    max_backoff_s: float = 60.0

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(
            seconds=min(self.max_backoff_s, self.first_backoff_s * 2 ** max(0, attempts - 1))
        )


class Notifier:
    """One worker thread; ``wake()`` after writing notifications for low latency."""

    def __init__(
        self,
        sessions: sessionmaker,
        channels: dict[str, Channel],
        retry: RetryPolicy | None = None,
        write_lock: WriteGate | None = None,
    ) -> None:
        self.write_lock = write_lock or WriteGate()
        self.sessions = sessions
        self.channels = channels
        self.retry = retry or RetryPolicy()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.failed = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="co-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                more = self.deliver_due(utcnow())
            except Exception:  # keep delivering; the error is logged with context
                log.exception("notifier pass failed")
                more = False
            if not more:
                self._wake.wait(0.5)
                self._wake.clear()

    def deliver_due(self, now: datetime, limit: int = 100) -> bool:
        """Send what is due; True when there may be more right now."""
        with self.sessions() as s:
            due = list(
                s.scalars(
                    select(CoNotification)
                    .where(
                        CoNotification.status == "pending", CoNotification.next_attempt_at <= now
                    )
                    .order_by(CoNotification.id)
                    .limit(limit)
                )
            )
        for n in due:
            self._deliver(n)
        return len(due) == limit

    def _deliver(self, n: CoNotification) -> None:
        ch = self.channels.get(n.channel)
        error: str | None = None
        if ch is None:
            error = f"no channel named {n.channel!r} is configured"
        else:
            try:
                ch.send({**n.body, "notification_id": n.id})
            except ChannelError as exc:
                error = str(exc)
            except Exception as exc:  # a channel bug must not stop the others
                error = f"{type(exc).__name__}: {exc}"
        now = utcnow()
        outcome: str | None = None
        attempts = 0
        with self.write_lock.hold(urgent=True), self.sessions.begin() as s:
            row = s.get(CoNotification, n.id)
            if row is None:
                return
            row.attempts += 1
            if error is None:
                row.status = "sent"
                row.sent_at = now
                row.last_error = None
                outcome = "sent"
            else:
                row.last_error = error[:500]
                if row.attempts >= self.retry.max_attempts:
                    row.status = "failed"
                    outcome = "failed"
                else:
                    row.next_attempt_at = now + self.retry.backoff(row.attempts)
                attempts = row.attempts
        # Counted only once committed: a reader of the counters sees what is stored.
        if outcome == "sent":
            self.sent += 1
        elif outcome == "failed":
            self.failed += 1
            log.error("notification %s via %s failed for good: %s", n.id, n.channel, error)
        elif error is not None:
            log.warning(
                "notification %s via %s failed (attempt %s): %s",
                n.id,
                n.channel,
                attempts,
                error,
            )


def channel_health(s: Session) -> list[dict]:
    """Per channel: counts by status and the latest error (for the API and the demo)."""
    rows = s.execute(
        select(CoNotification.channel, CoNotification.status, func.count()).group_by(
            CoNotification.channel, CoNotification.status
        )
    ).all()
    out: dict[str, dict] = {}
    for ch, status, n in rows:
        out.setdefault(ch, {"channel": ch, "pending": 0, "sent": 0, "failed": 0})[status] = n
    for ch, entry in out.items():
        err = s.scalars(
            select(CoNotification.last_error)
            .where(CoNotification.channel == ch, CoNotification.last_error.is_not(None))
            .order_by(CoNotification.id.desc())
            .limit(1)
        ).first()
        entry["last_error"] = err
    return sorted(out.values(), key=lambda e: e["channel"])
