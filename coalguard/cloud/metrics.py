"""The cloud's Prometheus metrics (``GET /metrics``).

Channel health is read from the database when scraped (``channel_health``), so
the figures are the same whichever worker sent a message and whichever replica
is scraped: messages per channel and state, last success and last failure
times, and whether the channel is failing now (an outage shows as
``coalguard_channel_failing 1``). Delivery receipts are counted by the process
that received them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import sessionmaker

from coalguard.build_info import register_build_info
from coalguard.cloud.co.notifier import channel_health

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


class CloudMetrics:
    """This app's registry: channel health plus the receipt counters."""

    def __init__(self, sessions: sessionmaker) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ChannelCollector(sessions))
        self.receipts = Counter(
            "coalguard_receipts",
            "Delivery receipts received, by provider and outcome",
            ["provider", "outcome"],  # applied | duplicate | unknown | refused
            registry=self.registry,
        )
        register_build_info(self.registry, "cloud")

    def render(self) -> bytes:
        return generate_latest(self.registry)
