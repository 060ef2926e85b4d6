"""Composition root of the gateway process: the one place that builds long-lived objects.

Config → store → record sink → Gateway → web app, plus one housekeeping
thread (lab deadlines, silent cameras, retention purge, fast-pass reload).
Everything else receives what it needs from here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn

from coalguard.errors import CoalguardError
from coalguard.gateway.clock import Clock, SystemClock
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import RecordSink, StoreSink
from coalguard.gateway.store import Store
from coalguard.gateway.uplink_status import StatusFn, store_sink_status
from coalguard.gateway.web import create_app

log = logging.getLogger("coalguard.gateway")


@dataclass
class Housekeeping:
    """Periodic jobs on one thread; each job's failure is logged, never fatal."""

    gw: Gateway
    tick_s: float = 5.0
    stop: threading.Event = field(default_factory=threading.Event)
    _last: dict[str, float] = field(default_factory=dict)

    def jobs(self) -> list[tuple[str, float, Callable[[], object]]]:
        cfg = self.gw.config
        return [
            ("deadlines", cfg.lab.check_interval_s, self.gw.tick),
            ("purge", cfg.retention.purge_interval_s, self.gw.cameras.purge),
            ("fast_pass", cfg.fast_pass.refresh_s, self.gw.load_fast_pass),
        ]

    def run_due(self, now_s: float) -> None:
        for name, every, job in self.jobs():
            if now_s - self._last.get(name, -1e18) < every:
                continue
            self._last[name] = now_s
            try:
                job()
            except CoalguardError as exc:
                log.error("%s: %s", name, exc)
            except Exception:
                log.exception("%s failed", name)

    def loop(self) -> None:
        import time

        while not self.stop.is_set():
            self.run_due(time.monotonic())
            self.stop.wait(self.tick_s)


def build_gateway(
    config: GatewayConfig, clock: Clock | None = None
) -> tuple[Gateway, RecordSink, StatusFn]:
    clock = clock or SystemClock()
    store = Store(config.db_path)
    # The edge outbox replaces StoreSink here once it is available (same put() shape).
    sink = StoreSink(store, clock)
    status = store_sink_status(store, clock)
    gw = Gateway.build(config, store, sink, clock)
    return gw, sink, status


def serve(config: GatewayConfig) -> None:
    """Run until SIGINT/SIGTERM: page and intake on HTTP, housekeeping on a thread."""
    gw, _sink, status = build_gateway(config)
    try:
        gw.load_fast_pass()
    except CoalguardError as exc:  # keep the cached list; the page still works
        log.error("fast-pass list: %s (keeping the cached list)", exc)
    hk = Housekeeping(gw)
    thread = threading.Thread(target=hk.loop, name="housekeeping", daemon=True)
    thread.start()
    app = create_app(gw, status)
    log.info(
        "gateway %s on http://%s:%d/", config.checkpoint.id, config.http.host, config.http.port
    )
    try:
        uvicorn.run(app, host=config.http.host, port=config.http.port, log_level="warning")
    finally:
        hk.stop.set()
        thread.join(timeout=10)
        gw.store.close()
