"""Modbus TCP through real sockets: our driver and a bare pymodbus client vs. the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusIOException

from coalguard.drivers.analyzer import ModbusAnalyzer, ModbusBus, ReadError, resolve_map
from coalguard.simulators.analyzer.device import SimAnalyzer
from coalguard.simulators.analyzer.faults import Faults
from coalguard.simulators.analyzer.tcp import TcpSimServer
from tests.conftest import free_port
from tests.support.waiting import async_wait_for

pytestmark = pytest.mark.timeout(60)


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro_fn())


async def rig(map_name: str, units: list[int] | None = None, retries: int = 0):
    regmap = resolve_map(map_name)
    sim = SimAnalyzer(regmap, units, seed=11)
    port = free_port()
    server = TcpSimServer(sim, "127.0.0.1", port, seed=11)
    await server.start()
    bus = ModbusBus(f"tcp://127.0.0.1:{port}", timeout=0.4, retries=retries, backoff_base=0.05)
    return regmap, sim, server, bus, port


@pytest.mark.parametrize("map_name", ["generic-tcp-int16", "scantech-coalscan-9500x"])
def test_result_over_tcp(map_name: str) -> None:
    async def main() -> None:
        regmap, sim, server, bus, _ = await rig(map_name)
        try:
            a = ModbusAnalyzer(bus, regmap)
            truth = sim.new_result()
            r = await a.poll()
            assert r is not None
            for k, v in truth.indicators.items():
                assert r.indicators[k] == pytest.approx(v, abs=2e-3), k
            assert await a.poll() is None
            assert r.device.port.startswith("tcp://127.0.0.1:")
        finally:
            bus.close()
            await server.stop()

    run(main)


def test_scantech_energy_converted_from_btu_per_lb() -> None:
    async def main() -> None:
        regmap, sim, server, bus, port = await rig("scantech-coalscan-9500x")
        try:
            sim.new_result()
            raw = AsyncModbusTcpClient("127.0.0.1", port=port)
            await raw.connect()
            rr = await raw.read_holding_registers(6, count=2, device_id=1)
            btu = raw.convert_from_registers(rr.registers, raw.DATATYPE.FLOAT32)
            raw.close()
            r = await ModbusAnalyzer(bus, regmap).poll()
            assert r is not None
            assert 8000 < btu < 15000  # the device speaks Btu/lb …
            assert r.indicators["Qgr_d"] == pytest.approx(btu * 2.326e-3, abs=1e-3)  # … we MJ/kg
            assert r.extra["tons"] > 0 and r.uncertainty["Ad"] == 0.5
        finally:
            bus.close()
            await server.stop()

    run(main)


def test_read_across_a_block_is_refused_with_exception_02() -> None:
    async def main() -> None:
        _, _sim, server, _, port = await rig("scantech-coalscan-9500x")
        try:
            raw = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=0.5)
            await raw.connect()
            rr = await raw.read_holding_registers(12, count=4, device_id=1)
            assert rr.isError() and rr.exception_code == 2
            ok = await raw.read_holding_registers(0, count=14, device_id=1)
            assert not ok.isError()
            raw.close()
        finally:
            await server.stop()

    run(main)


def test_absent_unit_is_silent_not_exception_04() -> None:
    async def main() -> None:
        regmap, _sim, server, bus, port = await rig("generic-tcp-int16")
        try:
            raw = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=0.3, retries=0)
            await raw.connect()
            with pytest.raises(ModbusIOException):
                await raw.read_input_registers(0, count=1, device_id=9)
            raw.close()
            a = ModbusAnalyzer(bus, regmap, 9)
            with pytest.raises(ReadError) as ei:
                await a.poll()
            assert ei.value.kind == "timeout"
        finally:
            bus.close()
            await server.stop()

    run(main)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("no_response", "timeout"),
        ("slow=0.9", "timeout"),
        ("exception=6", "exception_06"),
        ("exception=2", "exception_02"),
        ("garbage", "garbage"),
        ("drop", "connection"),
    ],
)
def test_fault_then_recovery(fault: str, kind: str) -> None:
    async def main() -> None:
        regmap, sim, server, bus, _ = await rig("generic-tcp-int16", retries=1)
        try:
            a = ModbusAnalyzer(bus, regmap)
            truth = sim.new_result()
            sim.faults.apply(Faults.parse(fault))
            with pytest.raises(ReadError):
                await a.poll()
            assert a.stats.errors[kind] >= 1, a.stats.errors
            sim.faults.clear()

            async def recovered() -> bool:
                try:
                    r = await a.poll()
                except ReadError:
                    await asyncio.sleep(0.05)
                    return False
                assert r is not None and r.sequence == truth.sequence
                return True

            await async_wait_for(recovered, timeout=5.0)
            if fault == "drop":
                assert a.stats.reconnects >= 1
        finally:
            bus.close()
            await server.stop()

    run(main)


def test_server_gone_then_back_reconnects_with_backoff() -> None:
    async def main() -> None:
        regmap, sim, server, bus, port = await rig("generic-tcp-int16")
        a = ModbusAnalyzer(bus, regmap)
        sim.new_result()
        assert await a.poll() is not None
        await server.stop()
        for _ in range(3):
            with pytest.raises(ReadError):
                await a.poll()
        assert a.stats.errors["connection"] >= 1
        server2 = TcpSimServer(sim, "127.0.0.1", port)
        await server2.start()
        try:
            sim.new_result()

            async def back() -> bool:
                try:
                    return await a.poll() is not None
                except ReadError:
                    await asyncio.sleep(0.05)
                    return False

            await async_wait_for(back, timeout=5.0)
        finally:
            bus.close()
            await server2.stop()

    run(main)
