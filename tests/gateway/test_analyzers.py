"""Analyzers polled through the issue-3 drivers against a real pymodbus TCP simulator."""

from __future__ import annotations

import asyncio
import re
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from coalguard.drivers.analyzer import resolve_map
from coalguard.edge.clock import SystemClock
from coalguard.gateway.analyzers import AnalyzerLink
from coalguard.gateway.config import Analyzer
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import StoreSink
from coalguard.gateway.store import Store
from coalguard.gateway.web import create_app
from coalguard.simulators.analyzer.device import SimAnalyzer
from coalguard.simulators.analyzer.faults import Faults
from coalguard.simulators.analyzer.tcp import TcpSimServer
from tests.conftest import free_port
from tests.gateway.conftest import FAILING_ALL, registration
from tests.gateway.session import add_user, sign_in
from tests.support.analyzer_sim import Sim
from tests.support.metrics import sample
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


def _served(map_name: str):
    """A simulated analyzer of ``map_name`` on pymodbus TCP, on its own loop thread."""
    lt = LoopThread()
    sim = SimAnalyzer(resolve_map(map_name), seed=5)
    port = free_port()
    server = TcpSimServer(sim, "127.0.0.1", port)
    lt.run(server.start())
    yield sim, port
    lt.run(server.stop())
    lt.close()


@pytest.fixture
def tcp_sim():
    yield from _served("generic-tcp-int16")


def _link(gw, port: int, model: str = "generic-tcp-int16", sync_every_s: float = 0.2):
    cfg = Analyzer(
        id="an-1",
        model=model,
        transport="tcp",
        host="127.0.0.1",
        tcp_port=port,
        poll_interval_s=0.2,
    )
    return AnalyzerLink(gw, [cfg], sync_every_s=sync_every_s)


def _stored(gw) -> int:
    return gw.store.scalar("SELECT COUNT(*) FROM analyzer_results")


@pytest.fixture
def keyed_sim():
    """An analyzer whose operator scans the bag's sample id (``sample_id_entry``)."""
    yield from _served("generic-tcp-keyed")


@pytest.mark.timeout(60)
def test_result_with_sample_id_binds_itself(gw, keyed_sim):
    sim, port = keyed_sim
    link = _link(gw, port, model="generic-tcp-keyed")
    link.start()
    try:
        # A result nobody scanned a sample id for: nothing to bind it to, it waits.
        sim.new_result()
        wait_for(lambda: gw.workflow.unbound_results(), 15, what="first result", retry_errors=True)
        wf = gw.workflow
        iid = wf.arrive("冀A12345", "王五")
        wf.register(iid, "王五", registration())
        wf.check_fast_pass(iid, "王五")
        sample_id = wf.take_sample(iid, "王五", {"seal_no": "F1"})
        sim.enter_sample_id(sample_id)  # scanned from the bag's label at the analyzer
        sim.source = Planned(sim, FAILING_ALL)
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
        bind = next(s for s in wf.steps(iid) if s["action"] == "bind_result")
        assert (bind["operator"], bind["reason"]) == ("system", "sample id match")
        how = gw.store.scalar("SELECT how FROM result_bindings WHERE inspection_id = ?", (iid,))
        assert how == "sample_id"
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
def test_analyzers_own_sample_numbers_never_bind_a_truck(gw, tcp_sim):
    """generic-tcp-int16 numbers its samples itself: its number is not the gateway's id."""
    sim, port = tcp_sim
    wf = gw.workflow
    iid = wf.arrive("冀A12345", "王五")
    wf.register(iid, "王五", registration())
    wf.check_fast_pass(iid, "王五")
    wf.take_sample(iid, "王五", {"seal_no": "F1"})
    link = _link(gw, port)
    link.start()
    try:
        sim.new_result()
        [waiting] = wait_for(
            lambda: wf.unbound_results(), 15, what="result stored", retry_errors=True
        )
    finally:
        link.stop()
    assert waiting["sample_id"] is None and wf.get(iid)["state"] == "sampled"
    assert [c["id"] for c in wf.bind_candidates(iid)] == [waiting["id"]]


@pytest.mark.timeout(90)
def test_analyzer_restart_does_not_store_results_twice(gw, tmp_path):
    """A restarted reader reads the result the analyzer still holds: stored once."""
    port = free_port()
    sim = Sim("--map", "generic-tcp-int16", "--tcp", f"127.0.0.1:{port}", "--period", "0")
    try:
        first = _link(gw, port)
        first.start()
        try:
            wait_for(lambda: _stored(gw) == 1, 20, what="first result", retry_errors=True)
        finally:
            first.stop()
        # The gateway restarts: a new store, desks and reader on the same database.
        gw.store.close()
        store = Store(gw.config.db_path)
        again = Gateway.build(gw.config, store, StoreSink(store, gw.clock), gw.clock)
        second = _link(again, port)
        delivered: list[str | None] = []
        deliver = second.deliver
        second.deliver = lambda aid, r: delivered.append(deliver(aid, r))  # type: ignore[method-assign]
        second.start()
        try:
            wait_for(lambda: len(delivered) == 1, 20, what="the held result read again")
            sim.command("new")
            wait_for(lambda: len(delivered) == 2, 20, what="the next result")
        finally:
            second.stop()
        assert _stored(again) == 2
        # the re-read answered with the id the result was first stored under
        assert delivered[0] == again.store.scalar("SELECT id FROM analyzer_results ORDER BY at")
        assert again.sink.kinds()["analyzer.result"] == 2
        assert again.devices.get("an-1")["gaps"] == 0
        store.close()
    finally:
        sim.stop()


@pytest.mark.timeout(90)
def test_results_lost_during_fault_are_counted_as_gap(gw, tcp_sim):
    """Results 2 and 3 were measured while the analyzer answered only exceptions."""
    sim, port = tcp_sim
    link = _link(gw, port)
    link.start()
    try:
        sim.new_result()  # 1
        wait_for(lambda: _stored(gw) == 1, 15, what="result 1", retry_errors=True)
        sim.faults.apply(Faults.parse("exception=4"))
        errors = link.units["an-1"].stats.errors
        wait_for(lambda: errors["exception_04"] > 0, 15, what="exceptions")
        for _ in range(3):  # 2, 3 lost; 4 is still held when the fault clears
            sim.new_result()
        sim.faults.clear()
        wait_for(lambda: _stored(gw) == 2, 30, what="result 4", retry_errors=True)
        wait_for(
            lambda: any(a["kind"] == "analyzer.gap" for a in gw.alerts.open()),
            10,
            what="gap alert",
            retry_errors=True,
        )
    finally:
        link.stop()
    seqs = [r[0] for r in gw.store.rows("SELECT device_seq FROM analyzer_results ORDER BY at")]
    assert seqs == [1, 4]
    device = gw.devices.get("an-1")
    assert device["gaps"] == 2 and device["last_sequence"] == 4
    alert = next(a for a in gw.alerts.open() if a["kind"] == "analyzer.gap")
    assert "2 result(s) lost" in alert["message"]
    with _page_client(gw) as c:
        page = c.get("/").text
        cells = _device_cells(page, "an-1")
        assert cells[3] == "2"  # device, last seen, errors, lost results, state, resets
        assert "快检设备 an-1 丢失结果" in page
        metrics = c.get("/metrics").text
    gaps = "coalguard_gateway_device_result_gaps_total"
    assert sample(metrics, gaps, device="an-1", kind="analyzer") == 2


@pytest.mark.timeout(90)
def test_device_table_agrees_with_device_alert(gw, clock, tcp_sim):
    """Today the table said 正常 (60 errors) while the alert said 无响应."""
    sim, port = tcp_sim
    clock.set(SystemClock().now())  # the driver stamps its answers with the system clock
    link = _link(gw, port, sync_every_s=0.1)
    link.start()
    try:
        sim.new_result()
        wait_for(lambda: _stored(gw) == 1, 15, what="a result", retry_errors=True)
        sim.faults.apply(Faults.parse("no_response"))
        wait_for(lambda: gw.devices.get("an-1")["errors"] > 0, 20, what="errors counted")
        clock.advance(timedelta(minutes=1))  # no good answer for longer than offline_after
        wait_for(
            lambda: any(a["kind"] == "analyzer.offline" for a in gw.alerts.open()),
            10,
            what="offline alert",
            retry_errors=True,
        )
        with _page_client(gw) as c:
            page = c.get("/").text
            assert _device_cells(page, "an-1")[4] == "无响应"  # its state
            assert "快检设备 an-1 无响应" in page  # the alert, in the same words
            metrics = c.get("/metrics").text
        state = {"device": "an-1", "kind": "analyzer", "state": "not_answering"}
        assert sample(metrics, "coalguard_gateway_device_state", **state) == 1
        # Answering again: both say so.
        sim.faults.clear()
        clock.set(SystemClock().now())
        wait_for(
            lambda: (
                gw.devices.get("an-1")["state"].value == "ok"
                and not any(a["kind"] == "analyzer.offline" for a in gw.alerts.open())
            ),
            30,
            what="ok in the table and no alert",
            retry_errors=True,
        )
    finally:
        link.stop()


def _device_cells(page: str, device: str) -> list[str]:
    """The equipment table's row of ``device``, cell by cell."""
    row = re.search(rf"<tr><td>{re.escape(device)}</td>(.*?)</tr>", page)
    assert row is not None, page
    return [device, *re.findall(r"<td>(.*?)</td>", row.group(1))]


@contextmanager
def _page_client(gw):
    add_user(gw.store, "wangwu", "operator", "王五")
    with TestClient(create_app(gw, lang="zh"), follow_redirects=True) as c:
        sign_in(c, "wangwu")
        yield c


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
