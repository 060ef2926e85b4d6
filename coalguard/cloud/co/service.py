"""Composition root of the CO alarm path in one process.

``CoService`` wires MQTT ingest → store → alerts → notifier, plus the sweeper.
The REST routes (``api.router``) only need the database, so an API process
and several ingest workers (shared subscription) can run apart.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import sessionmaker

from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.channels import Channel, LogChannel, WebhookChannel
from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.ingest import MqttIngest
from coalguard.cloud.co.notifier import PHONE_KINDS, Notifier, RetryPolicy
from coalguard.cloud.co.providers import provider_channels
from coalguard.cloud.co.rules import AlertRules, load_rules
from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.sweeper import Sweeper
from coalguard.cloud.leases import Leases
from coalguard.edge.clock import Clock, SystemClock

log = logging.getLogger("coalguard.cloud.co")


def make_channels(settings: CoSettings, clock: Clock) -> dict[str, Channel]:
    channels: dict[str, Channel] = {"log": LogChannel()}
    if settings.webhook_url:
        channels["webhook"] = WebhookChannel(
            "webhook", settings.webhook_url, settings.webhook_secret, clock
        )
    channels.update(provider_channels(settings.providers))
    return channels


class CoService:
    """Everything the CO alarm path runs in the background."""

    def __init__(
        self,
        settings: CoSettings,
        sessions: sessionmaker,
        rules: AlertRules | None = None,
        channels: dict[str, Channel] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``clock``: the process's one clock (a ``SystemClock`` unless a test picks the time)."""
        self.clock = clock = clock or SystemClock()
        self.settings = settings
        self.sessions = sessions
        self.rules = rules or load_rules(settings.rules_file)
        self.channels = channels if channels is not None else make_channels(settings, clock)
        # Alerts are announced on the channels that need no recipient (webhook, log);
        # SMS and voice reach a person's phone, chosen by the escalation policy.
        self.book = AlertBook(
            self.rules, tuple(n for n, ch in self.channels.items() if ch.kind not in PHONE_KINDS)
        )
        lock = WriteGate()  # one writer at a time in this process, alarms first
        leases = Leases(clock)  # one sweeper and one sender per notification among the workers
        self.store = MessageStore(sessions, self.book, lock)
        self.notifier = Notifier(
            sessions,
            self.channels,
            RetryPolicy(settings.notify_max_attempts, settings.notify_first_backoff_s),
            lock,
            leases,
            clock=clock,
        )
        self.sweeper = Sweeper(
            sessions, self.book, settings.sweep_s, self.notifier.wake, lock, leases, clock=clock
        )
        self.ingest = (
            MqttIngest(settings, self.store, clock, self.notifier.wake)
            if settings.broker_url
            else None
        )

    def start(self) -> None:
        self.notifier.start()
        self.sweeper.start()
        if self.ingest:
            self.ingest.start()

    def stop(self) -> None:
        if self.ingest:
            self.ingest.stop()
        self.sweeper.stop()
        self.notifier.stop()
        for ch in self.channels.values():
            close = getattr(ch, "close", None)
            if close:
                close()
