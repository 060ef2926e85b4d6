"""The gateway's link to its rapid analyzers (issue-3 drivers), on their own threads.

Modbus analyzers (RTU and TCP) share one asyncio loop; analyzers on the same
port share one bus. ASCII-line analyzers each get a thread. Every new result
goes to ``Workflow.record_result`` with what the device says of it (its
counter and measured time: the result is stored once, a counter jump is
counted as a gap) and, where the register map says the analyzer carries the
sample id the operator entered, that id (the result then binds itself). A
result the gateway refuses, and every frame the driver could not decode, is
dead-lettered with the reason and counted; the driver's counters are copied
to the equipment table for the page and /metrics. The device alerts follow
``devices.device_state``, as the table does; lost results raise their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from coalguard.drivers.analyzer import (
    AnalyzerResult,
    AsciiAnalyzer,
    DeviceStats,
    Endpoint,
    ModbusAnalyzer,
    ModbusBus,
    Poller,
    RegisterMap,
    resolve_map,
)
from coalguard.edge.records import AnalyzerDeadLetter
from coalguard.gateway.config import Analyzer as AnalyzerConfig
from coalguard.gateway.devices import DeviceState
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.results import DeviceReading
from coalguard.gateway.service import Gateway
from coalguard.gateway.stored_time import iso

log = logging.getLogger("coalguard.gateway.analyzers")


@dataclass
class _Unit:
    cfg: AnalyzerConfig
    regmap: RegisterMap
    stats: DeviceStats
    dead_letters: Any  # the driver's deque of undecodable frames
    refused: int = 0  # results the gateway refused (the driver counts its own errors)
    gaps_alerted: int = 0  # lost results already in an alert (from before start: in its alert)


class AnalyzerLink:
    def __init__(
        self, gw: Gateway, analyzers: Iterable[AnalyzerConfig], sync_every_s: float = 2.0
    ) -> None:
        self.gw = gw
        self.configs = list(analyzers)
        self.sync_every_s = sync_every_s
        self.units: dict[str, _Unit] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._modbus_cfgs: list[tuple[AnalyzerConfig, RegisterMap]] = []
        self._modbus: list[tuple[AnalyzerConfig, ModbusAnalyzer]] = []
        self._ascii: list[tuple[AnalyzerConfig, AsciiAnalyzer]] = []
        self._buses: dict[str, ModbusBus] = {}
        for cfg in self.configs:
            self._make(cfg)

    def _unit(self, cfg: AnalyzerConfig, regmap: RegisterMap, drv: Any) -> _Unit:
        device = self.gw.devices.get(cfg.id)
        gaps = device["gaps"] if device else 0
        return _Unit(cfg, regmap, drv.stats, drv.dead_letters, gaps_alerted=gaps)

    # -- building ------------------------------------------------------------

    def _make(self, cfg: AnalyzerConfig) -> None:
        regmap = resolve_map(cfg.model)
        tr = regmap.transport
        if cfg.transport == "ascii":
            assert cfg.port is not None
            drv = AsciiAnalyzer(
                cfg.port,
                baudrate=cfg.baudrate or tr.baudrate,
                manufacturer=regmap.device.manufacturer,
                model=regmap.device.model,
            )
            self._ascii.append((cfg, drv))
            self.units[cfg.id] = self._unit(cfg, regmap, drv)
            return
        self._modbus_cfgs.append((cfg, regmap))

    def _make_modbus(self) -> None:
        """Buses and drivers; pymodbus clients need the running loop, so built in it."""
        for cfg, regmap in self._modbus_cfgs:
            tr = regmap.transport
            where = (
                f"tcp://{cfg.host}:{cfg.tcp_port or tr.tcp_port}"
                if cfg.transport == "tcp"
                else str(cfg.port)
            )
            bus = self._buses.get(where)
            if bus is None:
                bus = ModbusBus(
                    Endpoint.parse(where, tr.tcp_port),
                    baudrate=cfg.baudrate or tr.baudrate,
                    bytesize=tr.bytesize,
                    parity=tr.parity,
                    stopbits=tr.stopbits,
                    timeout=tr.timeout,
                )
                self._buses[where] = bus
            drv = ModbusAnalyzer(bus, regmap, cfg.unit_id or tr.unit)
            self._modbus.append((cfg, drv))
            self.units[cfg.id] = self._unit(cfg, regmap, drv)

    # -- running -------------------------------------------------------------

    def start(self) -> None:
        if self._modbus_cfgs:
            t = threading.Thread(target=self._run_modbus, name="analyzers-modbus", daemon=True)
            self._threads.append(t)
        for cfg, drv in self._ascii:
            self._threads.append(
                threading.Thread(
                    target=self._run_ascii, args=(cfg, drv), name=f"analyzer-{cfg.id}", daemon=True
                )
            )
        self._threads.append(
            threading.Thread(target=self._run_sync, name="analyzers-sync", daemon=True)
        )
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self._threads = []
        for _, drv in self._ascii:
            drv.close()
        self.sync()

    def _run_modbus(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._modbus_main())
        finally:
            for bus in self._buses.values():
                bus.close()
            loop.close()

    async def _modbus_main(self) -> None:
        self._make_modbus()
        by_driver = {id(drv): cfg for cfg, drv in self._modbus}
        pollers = []
        for interval in sorted({cfg.poll_interval_s for cfg, _ in self._modbus}):
            group = [drv for cfg, drv in self._modbus if cfg.poll_interval_s == interval]
            pollers.append((Poller(group, interval=interval), group))
        queue: asyncio.Queue[tuple[str, AnalyzerResult]] = asyncio.Queue()

        async def forward(poller: Poller, group: list[ModbusAnalyzer]) -> None:
            ids = {(str(d.bus), d.unit): by_driver[id(d)].id for d in group}
            async for r in poller:
                await queue.put((ids[(r.device.port, r.device.unit_id)], r))

        tasks = []
        for poller, group in pollers:
            poller.start()
            tasks.append(asyncio.create_task(forward(poller, group)))
        try:
            while not self._stop.is_set():
                try:
                    analyzer_id, r = await asyncio.wait_for(queue.get(), timeout=0.2)
                except TimeoutError:
                    continue
                self.deliver(analyzer_id, r)
        finally:
            for t in tasks:
                t.cancel()
            for poller, _ in pollers:
                await poller.stop()

    def _run_ascii(self, cfg: AnalyzerConfig, drv: AsciiAnalyzer) -> None:
        next_query = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_query:
                drv.query()
                next_query = now + cfg.poll_interval_s
            for r in drv.results(time.monotonic() + 0.2):
                self.deliver(cfg.id, r)

    def _run_sync(self) -> None:
        while not self._stop.wait(self.sync_every_s):
            try:
                self.sync()
            except Exception:
                log.exception("analyzer status sync failed")

    # -- results and status ------------------------------------------------------

    def deliver(self, analyzer_id: str, r: AnalyzerResult) -> str | None:
        """Hand one result to the workflow; a refusal is dead-lettered."""
        unit = self.units.get(analyzer_id)
        regmap = unit.regmap if unit else None
        entered = regmap is not None and regmap.carries_sample_id and r.sample_id_from_device
        try:
            return self.gw.workflow.record_result(
                analyzer_id,
                dict(r.indicators),
                sample_id=r.sample_id if entered else None,
                uncertainty=dict(r.uncertainty),
                at=r.received_at,
                result_id=str(r.id),
                reading=DeviceReading(
                    r.sequence, regmap.counter_max if regmap else None, r.analyzer_time
                ),
            )
        except GatewayError as exc:
            if analyzer_id in self.units:
                self.units[analyzer_id].refused += 1
            self._dead_letter(analyzer_id, exc.text("en"), r.model_dump(mode="json"))
            return None

    def _dead_letter(self, analyzer_id: str, reason: str, raw: dict[str, Any]) -> None:
        log.warning("analyzer %s: dead letter: %s", analyzer_id, reason)
        now = iso(self.gw.clock.now())
        with self.gw.store.tx() as db:
            did = str(uuid.uuid4())
            db.execute(
                "INSERT INTO analyzer_dead_letters(id, received_at, analyzer_id, reason, raw) "
                "VALUES (?,?,?,?,?)",
                (did, now, analyzer_id, reason, json.dumps(raw, ensure_ascii=False, default=str)),
            )
            db.execute(
                "UPDATE devices SET errors = errors + 1, last_error = ? WHERE device_id = ?",
                (reason[:500], analyzer_id),
            )
            self.gw.sink.put(
                AnalyzerDeadLetter(
                    checkpoint_id=self.gw.config.checkpoint.id,
                    analyzer_id=analyzer_id,
                    reason=reason,
                    raw=json.loads(json.dumps(raw, ensure_ascii=False, default=str)),
                    at=now,
                ),
                record_id=did,
            )

    def sync(self) -> None:
        """Copy driver counters to the equipment table; drain driver dead letters."""
        for aid, u in list(self.units.items()):
            while u.dead_letters:
                item = u.dead_letters.popleft()
                self._dead_letter(aid, str(item.get("reason", "undecodable")), item)
            errors = sum(u.stats.errors.values()) + u.refused
            self.gw.devices.sync(aid, u.stats.last_good, errors, u.stats.last_error)
            device = self.gw.devices.get(aid)
            if device is None:
                continue
            if device["state"] is DeviceState.NOT_ANSWERING:
                self.gw.alerts.raise_(
                    "analyzer.offline",
                    aid,
                    f"analyzer {aid} has not answered since "
                    f"{device['last_seen'] or 'start'}: {device['last_error'] or 'no answer'}",
                )
            else:
                self.gw.alerts.clear("analyzer.offline", aid, "answering again")
            self._alert_gaps(aid, u, device["gaps"])

    def _alert_gaps(self, aid: str, u: _Unit, gaps: int) -> None:
        """A new jump in the device counter: one alert naming how many results are lost."""
        if gaps <= u.gaps_alerted:
            return
        self.gw.alerts.clear("analyzer.gap", aid, "more results lost")
        self.gw.alerts.raise_(
            "analyzer.gap",
            aid,
            f"analyzer {aid}: {gaps} result(s) lost (its sample counter jumped)",
            gaps=gaps,
        )
        u.gaps_alerted = gaps
