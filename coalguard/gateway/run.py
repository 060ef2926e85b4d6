"""Composition root of the gateway process: the one place that builds long-lived objects.

Config → gateway store → its outbox tables (the record sink; an old outbox
file is adopted once) → uplink → Gateway →
analyzer link → web app, plus one housekeeping thread (lab deadlines, silent cameras,
retention purge, fast-pass reload). Everything else receives what it needs
from here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn

from coalguard.edge.clock import Clock, SystemClock
from coalguard.edge.outbox import JoinedOutbox
from coalguard.edge.uplink import Uplink
from coalguard.errors import CoalguardError
from coalguard.gateway.analyzers import AnalyzerLink
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.outbox import adopt_legacy_outbox, open_outbox
from coalguard.gateway.preflight import preflight
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import OutboxSink
from coalguard.gateway.store import Store
from coalguard.gateway.uplink_status import StatusFn, outbox_status
from coalguard.gateway.web import create_app

log = logging.getLogger("coalguard.gateway")


@dataclass
class Housekeeping:
    """Periodic jobs on one thread; a job's failure is logged, never fatal."""

    gw: Gateway
    tick_s: float = 5.0
    stop: threading.Event = field(default_factory=threading.Event)
    _last: dict[str, float] = field(default_factory=dict)

    def jobs(self) -> list[tuple[str, float, Callable[[], object]]]:
        cfg = self.gw.config
        return [
            ("deadlines", cfg.lab.check_interval_s, self.gw.tick),
            ("purge", cfg.retention.purge_interval_s, self.gw.cameras.purge),
            ("fast_pass", cfg.fast_pass.refresh_s, self.gw.refresh_fast_pass),
            ("profiles", cfg.fast_pass.refresh_s, self.gw.refresh_profiles),  # pulled alike
            ("watch", cfg.watch.refresh_s, self.gw.refresh_watch_list),
            ("zones", cfg.watch.refresh_s, self.gw.refresh_zone_list),  # pulled alike
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
        while not self.stop.is_set():
            self.run_due(time.monotonic())
            self.stop.wait(self.tick_s)


@dataclass
class GatewayParts:
    gateway: Gateway
    outbox: JoinedOutbox
    uplink: Uplink | None
    status: StatusFn
    analyzers: AnalyzerLink | None = None

    def close(self) -> None:
        if self.analyzers is not None:
            self.analyzers.stop()
        if self.uplink is not None:
            self.uplink.close()
        self.outbox.close()
        self.gateway.store.close()


def build(
    config: GatewayConfig, clock: Clock | None = None, with_analyzers: bool = False
) -> GatewayParts:
    """Open the store and its outbox; make the uplink and analyzer link (not started)."""
    clock = clock or SystemClock()
    checked = preflight(config)  # the same checks as ``gateway check-config``
    store = Store(config.db_path)
    uplink = None
    try:
        outbox = open_outbox(config, store, clock)
    except BaseException:
        store.close()
        raise
    try:
        adopt_legacy_outbox(config.legacy_outbox_path, outbox, store)
        if checked.uplink is not None:
            uplink = Uplink(outbox, checked.uplink, clock=clock)
        gw = Gateway.build(config, store, OutboxSink(outbox), clock, checked.profiles)
        link = AnalyzerLink(gw, config.analyzers) if with_analyzers and config.analyzers else None
    except BaseException:
        outbox.close()
        store.close()
        raise
    return GatewayParts(gw, outbox, uplink, outbox_status(outbox, uplink), link)


def serve(config: GatewayConfig) -> None:
    """Run until SIGINT/SIGTERM: page and intake on HTTP, uplink and housekeeping threads."""
    parts = build(config, with_analyzers=True)
    gw = parts.gateway
    if parts.analyzers is not None:
        parts.analyzers.start()
    if parts.uplink is not None:
        parts.uplink.start()
    else:
        log.warning("no [cloud] url: records are kept in the outbox until one is configured")
    if not gw.accounts.all():
        log.warning(
            "no operator accounts yet: nobody can sign in to the page "
            "(coalguard gateway users add --config … NAME --role admin)"
        )
    hk = Housekeeping(gw)
    thread = threading.Thread(target=hk.loop, name="housekeeping", daemon=True)
    thread.start()
    app = create_app(gw, parts.status)
    log.info(
        "gateway %s on http://%s:%d/", config.checkpoint.id, config.http.host, config.http.port
    )
    try:
        uvicorn.run(app, host=config.http.host, port=config.http.port, log_level="warning")
    finally:
        hk.stop.set()
        thread.join(timeout=10)
        parts.close()
