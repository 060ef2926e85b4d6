"""ASCII line protocol through a real pseudo-terminal and real pyserial."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from coalguard.drivers.analyzer import AsciiAnalyzer, resolve_map
from coalguard.simulators.analyzer.ascii import AsciiSim
from coalguard.simulators.analyzer.device import SimAnalyzer
from coalguard.simulators.analyzer.faults import Faults

pytestmark = pytest.mark.timeout(60)


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro_fn())


async def rig(baudrate: int = 115200) -> tuple[SimAnalyzer, AsciiSim, AsciiAnalyzer]:
    sim = SimAnalyzer(resolve_map("generic-rtu-float-cdab"), seed=5)
    server = AsciiSim(sim, baudrate=baudrate, seed=5)
    await server.start()
    drv = AsciiAnalyzer(server.path, baudrate=baudrate)
    return sim, server, drv


async def next_result(drv: AsciiAnalyzer, timeout: float = 3.0):
    def one():
        for r in drv.results(time.monotonic() + timeout):
            return r
        return None

    return await asyncio.to_thread(one)


async def handled_all(server: AsciiSim, timeout: float = 10.0) -> None:
    """Wait until the simulator's writer has taken every queued line."""
    deadline = time.monotonic() + timeout
    while server.lines_handled < server.lines_queued:
        assert time.monotonic() < deadline, "simulator writer did not take its lines"
        await asyncio.sleep(0.01)


def test_pushed_result_and_identity() -> None:
    async def main() -> None:
        _sim, server, drv = await rig()
        try:
            truth = server.publish()
            r = await next_result(drv)
            assert r is not None and r.sample_id == truth.sample_id
            for k, v in truth.indicators.items():
                assert r.indicators[k] == pytest.approx(v, abs=1e-3)
            assert r.device.serial == server.serial and r.device.model == "RA-485F"
            assert r.analyzer_time == truth.measured_at
        finally:
            drv.close()
            await server.stop()

    run(main)


def test_query_returns_last_result() -> None:
    async def main() -> None:
        _sim, server, drv = await rig()
        try:
            server.sim.new_result(server.unit)  # measured but not pushed
            r = await asyncio.to_thread(drv.read_one, 2.0)
            assert r is not None and server.queries >= 1
        finally:
            drv.close()
            await server.stop()

    run(main)


def test_paced_at_baud_rate() -> None:
    async def main() -> None:
        _sim, server, drv = await rig(baudrate=1200)
        try:
            t0 = time.monotonic()
            server.publish()
            r = await next_result(drv, 5.0)
            elapsed = time.monotonic() - t0
            assert r is not None
            # a ~200-byte line at 1200 baud (10 bits/char) takes well over a second
            assert elapsed > 1.0
        finally:
            drv.close()
            await server.stop()

    run(main)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [("crc", "checksum"), ("drop", "unterminated"), ("garbage", None), ("no_response", None)],
)
def test_fault_never_yields_bad_result_then_recovers(fault: str, kind: str | None) -> None:
    async def main() -> None:
        sim, server, drv = await rig()
        try:
            await handled_all(server)  # the ident line goes out before the fault is on
            sim.faults.apply(Faults.parse(fault))
            first = server.publish()
            got = await next_result(drv, 0.6)
            if fault == "garbage":
                assert got is not None and got.sample_id == first.sample_id  # noise skipped
            else:
                assert got is None
            # Faults act when the writer takes a line: clearing before it has taken
            # the faulted one would send it clean (seen once on a loaded machine).
            await handled_all(server)
            sim.faults.clear()
            truth = server.publish()
            r = await next_result(drv)
            assert r is not None and r.sample_id == truth.sample_id
            if kind:
                assert drv.stats.errors[kind] >= 1
        finally:
            drv.close()
            await server.stop()

    run(main)


def test_async_results_for_gateway_code() -> None:
    async def main() -> None:
        _sim, server, drv = await rig()
        try:
            truths = [server.publish(), server.publish()]
            got = []
            async for r in drv.aresults():
                got.append(r.sample_id)
                if len(got) == 2:
                    break
            assert got == [t.sample_id for t in truths]
        finally:
            drv.close()
            await server.stop()

    run(main)
