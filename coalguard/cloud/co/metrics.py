"""Prometheus metrics of a ``co-ingest`` process, served on their own HTTP port.

The ingest's figures live in plain counters of the domain objects
(``IngestStats``, ``Notifier.outcomes``, each lane's queue and connection), read
when scraped, so the hot path does no extra work; only the batch sizes are
observed as they are written (a histogram needs each value).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, Histogram, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector

from coalguard.build_info import register_build_info
from coalguard.errors import InputError

if TYPE_CHECKING:
    from coalguard.cloud.co.service import CoService

BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
WAIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class CoMetrics:
    """The registry of one CO service: ingest, broker and notifier figures, build info."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.batch_size = Histogram(
            "coalguard_co_ingest_batch_size",
            "Messages stored per database transaction, by lane",
            ["lane"],
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.wait = Histogram(
            "coalguard_co_ingest_wait_seconds",
            "Time from a message's arrival to its commit, by lane (the ingest's lag)",
            ["lane"],
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        register_build_info(self.registry, "co-ingest")

    def watch(self, svc: CoService) -> None:
        """Read ``svc``'s counters at every scrape (and answer its probes)."""
        self.svc = svc
        self.registry.register(_ServiceCollector(svc))

    def serve(self, listen: str) -> None:
        """Serve ``/metrics``, ``/healthz`` and ``/readyz`` (``co/probes.py``) on ``listen``
        (``PORT`` or ``HOST:PORT``; host 127.0.0.1), on a daemon thread."""
        from coalguard.cloud.co.probes import probes  # here: the API imports this package

        host, _, port = listen.rpartition(":")
        if not port.isdigit():
            raise InputError(f"--metrics {listen!r}: use PORT or HOST:PORT")
        app = probes(self.svc, make_wsgi_app(self.registry))
        server = make_server(
            host or "127.0.0.1", int(port), app, ThreadingWSGIServer, handler_class=_Quiet
        )
        threading.Thread(target=server.serve_forever, name="co-metrics", daemon=True).start()


class _Quiet(WSGIRequestHandler):
    """No access log line per scrape."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class _ServiceCollector(Collector):
    def __init__(self, svc: CoService) -> None:
        self.svc = svc

    def collect(self) -> Iterator[Metric]:
        st = self.svc.store.stats
        msgs = CounterMetricFamily(
            "coalguard_co_ingest_messages",
            "Messages the ingest handled, by outcome",
            labels=["outcome"],
        )
        msgs.add_metric(["stored"], st.stored)
        msgs.add_metric(["duplicate"], st.duplicates)
        msgs.add_metric(["dead_letter"], st.dead_letters)
        yield msgs
        dead = CounterMetricFamily(
            "coalguard_co_ingest_dead_letters",
            "Dead-lettered messages by reason (the reason's first words)",
            labels=["reason"],
        )
        for reason, n in sorted(dict(st.by_reason).items()):
            dead.add_metric([reason], n)
        yield dead
        for name, doc, value in (
            ("received", "Messages received from the broker", st.received),
            ("batches", "Database transactions of stored messages", st.batches),
            ("failed", "Messages whose processing raised (dead-lettered)", st.failed),
            ("sessions_lost", "Reconnects that found the broker session gone", st.sessions_lost),
            ("acks_published", "Event acks published to alarms after their commit", st.acks),
        ):
            yield CounterMetricFamily(f"coalguard_co_ingest_{name}", doc, value=value)
        yield from self._lanes()
        sends = CounterMetricFamily(
            "coalguard_co_notifier_sends",
            "Notification send attempts by channel and outcome (sent, retry, failed)",
            labels=["channel", "outcome"],
        )
        for (channel, outcome), n in sorted(dict(self.svc.notifier.outcomes).items()):
            sends.add_metric([channel, outcome], n)
        yield sends

    def _lanes(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "coalguard_co_ingest_backlog",
            "Messages received and not yet stored, by lane (the ingest's lag)",
            labels=["lane"],
        )
        up = GaugeMetricFamily(
            "coalguard_co_broker_connected", "1 while the lane is connected", labels=["lane"]
        )
        for lane in self.svc.ingest.lanes if self.svc.ingest else ():
            backlog.add_metric([lane.name], lane.backlog)
            up.add_metric([lane.name], 1 if lane.connected.is_set() else 0)
        yield backlog
        yield up
