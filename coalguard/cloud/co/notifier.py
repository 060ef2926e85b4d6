"""Delivers pending notification rows through their channels, with retries.

Any ``Outgoing`` table works: CO alert notifications (the default) and the
air-pollution office's referral messages (``cloud/referrals``) go through the
same worker and channels. Rows are written with what they announce (durable
first); this worker claims a few
(``leases``: with several workers each row is sent by one), sends them, marks
them sent, or backs off (1 s, 2 s, 4 s … capped) and finally marks them failed
with the last error. A worker that dies holding a claim leaves it to expire;
another then sends. A row its table calls ``withdrawn`` (a CO alarm someone
acknowledged meanwhile) is cancelled instead of sent. ``channel_health`` makes
failures visible.

SMS and voice channels need a phone number the row never stores: ``recipient``
(given by whoever owns the contact directory) returns it, decrypted, at send
time. The provider's message id is stored, so delivery receipts
(``co/receipts.py``) find the row.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.co.channels import Channel, ChannelError, Outbound
from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.receipts import settle_early
from coalguard.cloud.co.tables import CoNotification, Outgoing
from coalguard.cloud.contacts.recipients import contact_by_id
from coalguard.cloud.leases import Leases
from coalguard.cloud.loop_metrics import UNTIMED, LoopTimes
from coalguard.cloud.sealing import Keyring
from coalguard.edge.clock import Clock

log = logging.getLogger("coalguard.cloud.co.notify")

# Looks up the phone number of a row's recipient, decrypted (None: unknown).
Recipient = Callable[[Session, Any], str | None]
# What a row's message says beyond its stored body, made at send time (the
# acknowledgement link: never stored, so a database reader cannot use it).
Extras = Callable[[Any], dict[str, Any]]
PHONE_KINDS = ("sms", "voice")


def contact_phone(keyring: Keyring) -> Recipient:
    """The ``recipient`` for rows naming a directory contact (``body["contact_id"]``,
    written by the escalation): that contact's phone, opened from its sealed form."""

    def phone(s: Session, row: Any) -> str | None:
        cid = (row.body or {}).get("contact_id")
        found = contact_by_id(s, keyring, int(cid)) if cid is not None else None
        return found.phone if found else None

    return phone


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
        leases: Leases | None = None,
        claim_s: float = 60.0,
        send_budget_s: float = 15.0,
        *,
        clock: Clock,
        model: type[Outgoing] = CoNotification,
        name: str = "co-notifier",
        idle_s: float = 0.5,
        recipient: Recipient | None = None,
        extras: Extras | None = None,
        loops: LoopTimes = UNTIMED,
    ) -> None:
        self.clock = clock
        self.loops = loops  # each pass's duration, labelled by ``name``
        self.recipient = recipient
        self.extras = extras
        self.model = model
        self.name = name
        self.idle_s = idle_s  # between passes when nothing woke it (retries come due)
        self.write_lock = write_lock or WriteGate()
        self.leases = leases or Leases(clock)
        # A claim lasts claim_s; a row is sent only while send_budget_s of it is
        # left (a channel's timeout fits), else given back for the next pass.
        self.claim = timedelta(seconds=claim_s)
        self.send_budget = timedelta(seconds=send_budget_s)
        self.sessions = sessions
        self.channels = channels
        self.retry = retry or RetryPolicy()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.failed = 0
        # Send attempts by (channel, outcome): sent, retry, failed (read by /metrics).
        self.outcomes: Counter[tuple[str, str]] = Counter()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
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
                with self.loops.time(self.name):
                    more = self.deliver_due(self.clock.now())
            except Exception:  # keep delivering; the error is logged with context
                log.exception("notifier pass failed")
                more = False
            if not more:
                self._wake.wait(self.idle_s)
                self._wake.clear()

    def deliver_due(self, now: datetime, limit: int = 10) -> bool:
        """Claim and send what is due; True when there may be more right now."""
        model: Any = self.model  # an Outgoing table: its ``id`` is the integer key
        with self.write_lock.hold(urgent=True), self.sessions.begin() as s:
            ids = self.leases.claim(
                s,
                model,
                model.status == "pending",
                model.next_attempt_at <= now,
                limit=limit,
                ttl=self.claim,
            )
            due = list(s.scalars(select(model).where(model.id.in_(ids))))
            withdrawn = model.withdrawn(s, due)  # e.g. the alarm was acknowledged meanwhile
            for n in due:
                if n.id in withdrawn:
                    n.status, n.claimed_by, n.claimed_until = "cancelled", None, None
            due = [n for n in due if n.id not in withdrawn]
        due.sort(key=lambda n: n.id)
        for i, n in enumerate(due):
            if n.claimed_until is None or self.clock.now() + self.send_budget > n.claimed_until:
                with self.write_lock.hold(urgent=True), self.sessions.begin() as s:
                    self.leases.unclaim(s, model, [m.id for m in due[i:]])
                return True
            self._deliver(n)
        return len(ids) == limit

    def _phone(self, n: Any) -> str | None:
        if self.recipient is None:
            return None
        with self.sessions() as s:
            return self.recipient(s, n)

    def _deliver(self, n: Any) -> None:
        ch = self.channels.get(n.channel)
        error: str | None = None
        provider_id: str | None = None
        if ch is None:
            error = f"no channel named {n.channel!r} is configured"
        else:
            try:
                to = self._phone(n) if ch.kind in PHONE_KINDS else None
                if ch.kind in PHONE_KINDS and not to:
                    raise ChannelError(f"no phone number for notification {n.id}")
                body = {
                    **n.body,
                    "notification_id": n.id,
                    **(self.extras(n) if self.extras else {}),
                }
                provider_id = ch.send(Outbound(body, to)).provider_id
            except ChannelError as exc:
                error = str(exc)
            except Exception as exc:  # a channel bug must not stop the others
                error = f"{type(exc).__name__}: {exc}"
        now = self.clock.now()
        outcome: str | None = None
        attempts = 0
        with self.write_lock.hold(urgent=True), self.sessions.begin() as s:
            row = s.get(self.model, n.id)
            if row is None:
                return
            if not self.leases.holds(row):  # ours expired and another worker took it
                log.warning("notification %s: claim lost while sending", n.id)
            row.claimed_by = row.claimed_until = None
            row.attempts += 1
            if error is None:
                row.status = "sent"
                row.sent_at = now
                row.last_error = None
                row.provider_id = provider_id
                row.delivery_state = "sent"
                settle_early(s, row, now)  # its receipt may have beaten this commit
                outcome = "sent"
            else:
                row.last_error = error[:500]
                row.last_error_at = now
                if row.attempts >= self.retry.max_attempts:
                    row.status = "failed"
                    row.delivery_state = "failed"
                    outcome = "failed"
                else:
                    row.next_attempt_at = now + self.retry.backoff(row.attempts)
                attempts = row.attempts
        # Counted only once committed: a reader of the counters sees what is stored.
        if outcome or error is not None:
            self.outcomes[(n.channel, outcome or "retry")] += 1
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def channel_health(s: Session) -> list[dict]:
    """Per channel: counts by status and by delivery receipt, the last success (a
    provider accepted a message) and the last failure (an error or an undelivered
    receipt), whether it is failing now (the last failure came after the last
    success), and the latest error (for the API, the dashboard, metrics)."""
    n = CoNotification
    out: dict[str, dict] = {}

    def entry(ch: str) -> dict:
        return out.setdefault(
            ch,
            {
                "channel": ch,
                **dict.fromkeys(("pending", "sent", "failed", "delivered", "undelivered"), 0),
                "last_success_at": None,
                "last_failure_at": None,
                "failing": False,
                "last_error": None,
            },
        )

    for ch, status, count in s.execute(
        select(n.channel, n.status, func.count()).group_by(n.channel, n.status)
    ):
        entry(ch)[status] = count
    for ch, state, count in s.execute(
        select(n.channel, n.delivery_state, func.count())
        .where(n.delivery_state.in_(("delivered", "undelivered")))
        .group_by(n.channel, n.delivery_state)
    ):
        entry(ch)[state] = count
    for ch, sent, errored in s.execute(
        select(n.channel, func.max(n.sent_at), func.max(n.last_error_at)).group_by(n.channel)
    ):
        entry(ch).update(last_success_at=sent, last_failure_at=errored)
    for ch, undelivered_at in s.execute(
        select(n.channel, func.max(n.delivered_at))
        .where(n.delivery_state == "undelivered")
        .group_by(n.channel)
    ):
        e = entry(ch)
        if undelivered_at and (
            e["last_failure_at"] is None or undelivered_at > e["last_failure_at"]
        ):
            e["last_failure_at"] = undelivered_at
    for ch, e in out.items():
        e["last_error"] = s.scalars(
            select(n.last_error)
            .where(n.channel == ch, n.last_error.is_not(None), n.status != "no_recipient")
            .order_by(n.id.desc())
            .limit(1)
        ).first()
        ok, bad = e["last_success_at"], e["last_failure_at"]
        e["failing"] = bad is not None and (ok is None or bad > ok)
        e["last_success_at"], e["last_failure_at"] = _iso(ok), _iso(bad)
    return sorted(out.values(), key=lambda e: e["channel"])
