"""The cloud's Prometheus metrics (``GET /metrics``).

Batch ingest (batches and records by outcome, each stored record's age when
its batch committed: the gateways' lag), the projector's backlog and the age of
its oldest unprojected record, the duration of every background loop's pass
(``loop_metrics``), the database pool (``pool_metrics``), the referral
notifier's sends and build info.

Channel health is read from the database when scraped (``channel_health``), so
the figures are the same whichever worker sent a message and whichever replica
is scraped: messages per channel and state, last success and last failure
times, and whether the channel is failing now (an outage shows as
``coalguard_channel_failing 1``). Delivery receipts are counted by the process
that received them.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import sessionmaker

from coalguard.build_info import register_build_info
from coalguard.cloud.batch_store import Outcome
from coalguard.cloud.checks.projector import backlog
from coalguard.cloud.co.notifier import Notifier, channel_health
from coalguard.cloud.loop_metrics import LoopTimes
from coalguard.cloud.pool_metrics import PoolCollector
from coalguard.edge.clock import Clock
from coalguard.edge.uplink.wire import OUTCOMES

STATES = ("pending", "sent", "failed", "delivered", "undelivered")


def _ts(iso: str | None) -> float:
    return datetime.fromisoformat(iso).timestamp() if iso else 0.0


class ChannelCollector(Collector):
    """Per-channel delivery figures, read at scrape time."""

    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as s:
            health = channel_health(s)
        msgs = GaugeMetricFamily(
            "coalguard_channel_messages",
            "Notifications per channel by state (status, then delivery receipt)",
            labels=["channel", "state"],
        )
        ok = GaugeMetricFamily(
            "coalguard_channel_last_success_timestamp_seconds",
            "When a provider last accepted a message on this channel (0: never)",
            labels=["channel"],
        )
        bad = GaugeMetricFamily(
            "coalguard_channel_last_failure_timestamp_seconds",
            "When this channel last failed: an error or an undelivered receipt (0: never)",
            labels=["channel"],
        )
        failing = GaugeMetricFamily(
            "coalguard_channel_failing",
            "1 when the channel's last failure came after its last success",
            labels=["channel"],
        )
        for e in health:
            ch = e["channel"]
            for state in STATES:
                msgs.add_metric([ch, state], e[state])
            ok.add_metric([ch], _ts(e["last_success_at"]))
            bad.add_metric([ch], _ts(e["last_failure_at"]))
            failing.add_metric([ch], 1.0 if e["failing"] else 0.0)
        yield from (msgs, ok, bad, failing)


class ProjectorCollector(Collector):
    """The projector's lag, read at scrape time: what waits, and for how long."""

    def __init__(self, sessions: sessionmaker, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as s:
            n, oldest = backlog(s)
        age = 0.0 if oldest is None else max((self.clock.now() - oldest).total_seconds(), 0.0)
        yield GaugeMetricFamily(
            "coalguard_projector_backlog", "Stored gateway records not yet projected", value=n
        )
        yield GaugeMetricFamily(
            "coalguard_projector_oldest_unprojected_age_seconds",
            "Age of the oldest stored record not yet projected (0: none waits)",
            value=age,
        )


class SendsCollector(Collector):
    """A notifier's send attempts by channel and outcome (its in-memory counter)."""

    def __init__(self, name: str, notifier: Notifier) -> None:
        self.name = name
        self.notifier = notifier

    def collect(self) -> Iterator[Metric]:
        sends = CounterMetricFamily(
            self.name,
            "Notification send attempts by channel and outcome (sent, retry, failed)",
            labels=["channel", "outcome"],
        )
        for (channel, outcome), n in sorted(dict(self.notifier.outcomes).items()):
            sends.add_metric([channel, outcome], n)
        yield sends


# Record age at commit: seconds (live) to a week (a checkpoint offline for days).
AGE_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400)
BATCH_OUTCOMES = ("accepted", "refused", "unauthorized", "unavailable")
BATCH_STATUS = {200: "accepted", 401: "unauthorized", 503: "unavailable"}  # else refused


class CloudMetrics:
    """This app's registry: ingest, projector, loops, pool, channels, receipts, build info."""

    def __init__(self, sessions: sessionmaker, clock: Clock) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ChannelCollector(sessions))
        self.registry.register(ProjectorCollector(sessions, clock))
        self.registry.register(PoolCollector(sessions.kw["bind"]))
        self.receipts = Counter(
            "coalguard_receipts",
            "Delivery receipts received, by provider and outcome",
            ["provider", "outcome"],  # applied | duplicate | unknown | refused
            registry=self.registry,
        )
        self.batches = Counter(
            "coalguard_ingest_batches",
            "Gateway batches by outcome (accepted, refused, unauthorized, unavailable)",
            ["outcome"],
            registry=self.registry,
        )
        self.records = Counter(
            "coalguard_ingest_records",
            "Gateway records in accepted batches, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in BATCH_OUTCOMES:
            self.batches.labels(outcome)
        for outcome in OUTCOMES:
            self.records.labels(outcome)
        self.record_age = Histogram(
            "coalguard_ingest_record_age_seconds",
            "Age of each stored record when its batch committed (born at the gateway → stored)",
            buckets=AGE_BUCKETS,
            registry=self.registry,
        )
        self.loops = LoopTimes(self.registry)
        register_build_info(self.registry, "cloud")

    def watch_notifier(self, notifier: Notifier) -> None:
        """Count ``notifier``'s sends as ``coalguard_referral_sends_total``."""
        self.registry.register(SendsCollector("coalguard_referral_sends", notifier))

    def batch_answered(self, status: int) -> None:
        """Count a batch by the status it was answered with."""
        self.batches.labels(BATCH_STATUS.get(status, "refused")).inc()

    def ingested(self, outcomes: Sequence[Outcome], committed_at: datetime) -> None:
        """An accepted batch's records by outcome, and each stored record's age.

        Counted per outcome, not per record: a label look-up per record cost more than
        storing the record."""
        for outcome, n in Tally(o.outcome for o in outcomes).items():
            self.records.labels(outcome).inc(n)
        observe = self.record_age.observe
        for o in outcomes:
            if o.born_at is not None and o.outcome == "stored":
                observe(max((committed_at - o.born_at).total_seconds(), 0.0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
