"""Composition root of the CO alarm path in one process.

``CoService`` wires MQTT ingest → store → alerts → notifier, plus the sweeper.
The REST routes (``api.router``) only need the database, so an API process
and several ingest workers (shared subscription) can run apart.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import sessionmaker

from coalguard.cloud.co.ack_links import AckLinks
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.channels import Channel, LogChannel, WebhookChannel
from coalguard.cloud.co.directory import ContactDirectory
from coalguard.cloud.co.escalation import EscalationPolicy, load_policy
from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.ingest import MqttIngest
from coalguard.cloud.co.metrics import CoMetrics
from coalguard.cloud.co.notifier import PHONE_KINDS, Notifier, RetryPolicy, contact_phone
from coalguard.cloud.co.outage import BROKER_DISCONNECTED
from coalguard.cloud.co.providers import provider_channels
from coalguard.cloud.co.retention import Retention
from coalguard.cloud.co.rules import AlertRules, load_rules
from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.sweeper import Sweeper
from coalguard.cloud.co.tables import CoNotification
from coalguard.cloud.leases import Leases
from coalguard.cloud.loop_metrics import LoopTimes
from coalguard.cloud.pool_metrics import PoolCollector
from coalguard.cloud.sealing import Keyring
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


def ack_links(settings: CoSettings, public_url: str) -> AckLinks:
    """The signer of the acknowledgement links (the notifier writes them, the API reads them)."""
    return AckLinks(
        settings.ack_link_secret, public_url, timedelta(seconds=settings.ack_link_ttl_s)
    )


class CoService:
    """Everything the CO alarm path runs in the background."""

    def __init__(
        self,
        settings: CoSettings,
        sessions: sessionmaker,
        rules: AlertRules | None = None,
        channels: dict[str, Channel] | None = None,
        clock: Clock | None = None,
        *,
        policy: EscalationPolicy | None = None,
        keyring: Keyring | None = None,
        public_url: str = "http://127.0.0.1:8080",
        owner: str | None = None,
    ) -> None:
        """``clock``: the process's one clock (a ``SystemClock`` unless a test picks the time).

        ``keyring``: opens the contact directory's phones, where the people of each
        escalation step are found (without one, every step's row says
        ``no_recipient``); ``public_url``: the host of the acknowledgement links;
        ``owner``: this worker among the replicas (default: the process; two
        services in one test process need two).
        """
        self.clock = clock = clock or SystemClock()
        self.settings = settings
        self.sessions = sessions
        self.rules = rules or load_rules(settings.rules_file)
        self.policy = policy or load_policy(settings.escalation_file)
        self.channels = channels if channels is not None else make_channels(settings, clock)
        missing = sorted(self.policy.channels() - set(self.channels))
        if missing:
            log.warning("escalation policy names channels not configured: %s", ", ".join(missing))
        # Alerts are announced on the channels that need no recipient (webhook, log);
        # SMS and voice reach a person's phone, chosen by the escalation policy.
        broadcast = tuple(n for n, ch in self.channels.items() if ch.kind not in PHONE_KINDS)
        self.links = ack_links(settings, public_url)
        sms = frozenset(n for n, ch in self.channels.items() if ch.kind == "sms")
        wait = timedelta(seconds=settings.sms_receipt_wait_s)
        directory = ContactDirectory(keyring) if keyring else None
        self.book = AlertBook(self.rules, broadcast, self.policy, directory, sms, wait)
        lock = WriteGate()  # one writer at a time in this process, alarms first
        # One sweeper and one sender per notification among the workers.
        leases = Leases(clock, owner) if owner else Leases(clock)
        self.store = MessageStore(sessions, self.book, lock)
        self.metrics = CoMetrics()  # served by ``co-ingest --metrics``
        loops = LoopTimes(self.metrics.registry)  # each background pass's duration
        self.metrics.registry.register(PoolCollector(sessions.kw["bind"]))
        self.notifier = Notifier(
            sessions,
            self.channels,
            RetryPolicy(settings.notify_max_attempts, settings.notify_first_backoff_s),
            lock,
            leases,
            clock=clock,
            recipient=contact_phone(keyring) if keyring else None,
            extras=self.link_extras,
            loops=loops,
        )
        self.sweeper = Sweeper(
            sessions,
            self.book,
            settings.sweep_s,
            self.notifier.wake,
            lock,
            leases,
            clock=clock,
            silent_batch=settings.silent_batch,
            probe=self.broker_probe,
            loops=loops,
        )
        self.retention = Retention(
            sessions,
            timedelta(days=settings.retention_days),
            settings.retention_batch,
            lock,
            leases,
            settings.retention_every_s,
            clock=clock,
            loops=loops,
        )
        self.ingest = (
            MqttIngest(
                settings,
                self.store,
                clock,
                self.notifier.wake,
                self._committed,
            )
            if settings.broker_url
            else None
        )
        self.metrics.watch(self)

    def _committed(self, lane: str, waited: list[float]) -> None:
        """A batch stored: its size and each message's wait, for ``/metrics``."""
        self.metrics.batch_size.labels(lane).observe(len(waited))
        for seconds in waited:
            self.metrics.wait.labels(lane).observe(max(seconds, 0.0))

    def broker_probe(self) -> str | None:
        """This process's ingest lost its broker: the sweep must not blame the alarms."""
        if self.ingest is None or self.ingest.connected.is_set():
            return None
        return BROKER_DISCONNECTED

    def link_extras(self, n: CoNotification) -> dict[str, Any]:
        """A person's message carries its acknowledgement link and reply code."""
        if n.contact_id is None:
            return {}
        return {"ack_url": self.links.url(n.id), "reply_code": n.reply_code}

    def start(self) -> None:
        self.notifier.start()
        self.sweeper.start()
        self.retention.start()
        if self.ingest:
            self.ingest.start()

    def stop(self) -> None:
        if self.ingest:
            self.ingest.stop()
        self.retention.stop()
        self.sweeper.stop()
        self.notifier.stop()
        for ch in self.channels.values():
            close = getattr(ch, "close", None)
            if close:
                close()
