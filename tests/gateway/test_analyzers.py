"""Analyzers polled through the issue-3 drivers against a real pymodbus TCP simulator."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest

from coalguard.drivers.analyzer import resolve_map
from coalguard.gateway.analyzers import AnalyzerLink
from coalguard.gateway.config import Analyzer
from coalguard.simulators.analyzer.device import SimAnalyzer
from coalguard.simulators.analyzer.tcp import TcpSimServer
from tests.conftest import free_port
from tests.gateway.conftest import registration
from tests.support.waiting import wait_for


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(15)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Planned:
    """A sample source that measures what the test says (a coal of known quality)."""

    def __init__(self, sim: SimAnalyzer, values: dict[str, float]) -> None:
        self.rng = sim.source.rng
        self.values = values

    def draw(self, symbols: list[str]) -> tuple[str, dict[str, float]]:
        return "planned", {s: self.values[s] for s in symbols}


@pytest.fixture
def tcp_sim():
    lt = LoopThread()
    sim = SimAnalyzer(resolve_map("generic-tcp-int16"), seed=5)
    port = free_port()
    server = TcpSimServer(sim, "127.0.0.1", port)
    lt.run(server.start())
    yield sim, port
    lt.run(server.stop())
    lt.close()


def _next_sample_id(sim: SimAnalyzer) -> str:
    u = sim.units[1]
    return f"S{datetime.now(UTC):%m%d}{u.unit_id:02d}{u.sequence + 1:04d}"[-12:]


@pytest.mark.timeout(60)
def test_polled_result_binds_by_sample_id_and_is_judged(gw, tcp_sim):
    sim, port = tcp_sim
    cfg = Analyzer(
        id="an-1",
        model="generic-tcp-int16",
        transport="tcp",
        host="127.0.0.1",
        tcp_port=port,
        poll_interval_s=0.2,
    )
    link = AnalyzerLink(gw, [cfg], sync_every_s=0.2)
    link.start()
    try:
        # A result the analyzer already holds: nothing to bind it to, it waits.
        sim.new_result()
        wait_for(lambda: gw.workflow.unbound_results(), 15, what="first result", retry_errors=True)
        wf = gw.workflow
        iid = wf.arrive("冀A12345", "王五")
        wf.register(iid, "王五", registration())
        wf.check_fast_pass(iid, "王五")
        sample_id = _next_sample_id(sim)
        wf.take_sample(iid, "王五", {"sample_id": sample_id, "seal_no": "F1", "sampler": "李四"})
        sim.source = Planned(
            sim,
            {
                "Mt": 5.0,
                "Mad": 2.0,
                "Aad": 30.0,
                "Vad": 6.0,
                "St_ad": 1.5,
                "Qgr_ad": 30.0,
                "Had": 3.0,
                "Qnet_ar": 26.0,
                "Vdaf": 9.0,
                "St_d": 1.5,
                "Ad": 30.0,
            },
        )
        sim.new_result()
        insp = wait_for(
            lambda: (i := wf.get(iid))["state"] == "judged" and i,
            15,
            what="bound and judged",
            retry_errors=True,
        )
        assert insp["result"]["analyzer_id"] == "an-1"
        assert insp["result"]["analyzer_sample_id"] == sample_id
        assert insp["overall"] == "fail"
        wait_for(
            lambda: gw.devices.get("an-1")["last_seen"],
            5,
            what="equipment status",
            retry_errors=True,
        )
    finally:
        link.stop()
    assert gw.devices.get("an-1")["errors"] == 0


@pytest.mark.timeout(60)
def test_dead_analyzer_raises_an_alert_and_counts_errors(gw, clock):
    port = free_port()  # nothing listens here
    cfg = Analyzer(
        id="an-1",
        model="generic-tcp-int16",
        transport="tcp",
        host="127.0.0.1",
        tcp_port=port,
        poll_interval_s=0.2,
    )
    link = AnalyzerLink(gw, [cfg], sync_every_s=0.1)
    link.start()
    try:
        wait_for(
            lambda: gw.devices.get("an-1")["errors"] > 0,
            20,
            what="errors counted",
            retry_errors=True,
        )
        wait_for(
            lambda: any(a["kind"] == "analyzer.offline" for a in gw.alerts.open()),
            10,
            what="offline alert",
            retry_errors=True,
        )
    finally:
        link.stop()
