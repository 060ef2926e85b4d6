"""Modbus RTU through a real pseudo-terminal: pymodbus client, our slave, real pyserial."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from coalguard.drivers.analyzer import ModbusAnalyzer, ModbusBus, Poller, ReadError, resolve_map
from coalguard.edge.quality import ProfileSet, judge
from coalguard.simulators.analyzer.device import SimAnalyzer
from coalguard.simulators.analyzer.faults import Faults
from coalguard.simulators.analyzer.rtu import RtuSlave, crc16
from tests.support.waiting import async_wait_for

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 0.3  # generous: the machine running tests may be busy


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro_fn())


async def rig(map_name: str, units: list[int] | None = None, retries: int = 0):
    regmap = resolve_map(map_name)
    sim = SimAnalyzer(regmap, units, seed=7)
    slave = RtuSlave(sim, seed=7)
    await slave.start()
    t = regmap.transport
    bus = ModbusBus(
        slave.path,
        baudrate=t.baudrate,
        parity=t.parity,
        stopbits=t.stopbits,
        timeout=TIMEOUT,
        retries=retries,
    )
    return regmap, sim, slave, bus


def test_crc16_known_vector() -> None:
    # read holding registers, unit 1, address 0, count 1 -> CRC 84 0A
    assert crc16(bytes.fromhex("010300000001")) == bytes.fromhex("840A")


@pytest.mark.parametrize(
    "map_name", ["generic-rtu-float-cdab", "generic-rtu-status-word", "scantech-coalscan-9500x"]
)
def test_result_decoded_as_simulated(map_name: str) -> None:
    async def main() -> None:
        regmap, sim, slave, bus = await rig(map_name)
        try:
            a = ModbusAnalyzer(bus, regmap)
            truth = sim.new_result()
            r = await a.poll()
            assert r is not None
            assert r.indicators.keys() == truth.indicators.keys()
            for k, v in truth.indicators.items():
                assert r.indicators[k] == pytest.approx(v, abs=2e-3), k
            if truth.sample_id:
                assert r.sample_id == truth.sample_id
            assert r.device.unit_id == regmap.transport.unit
            assert r.device.model == regmap.device.model
            assert r.received_at.tzinfo is not None
            # reported once: the next poll without a new sample gives nothing
            assert await a.poll() is None
            nxt = sim.new_result()
            r2 = await a.poll()
            assert r2 is not None and r2.id != r.id and r2.sequence in (nxt.sequence, None)
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_result_carries_identity_and_analyzer_time() -> None:
    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-float-cdab")
        try:
            truth = sim.new_result()
            r = await ModbusAnalyzer(bus, regmap).poll()
            assert r is not None
            assert r.device.serial == sim.units[1].serial  # read from the input registers
            assert r.analyzer_time == truth.measured_at
            assert str(r.id) and r.sequence == truth.sequence
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_judge_accepts_result_directly() -> None:
    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-float-cdab")
        try:
            sim.new_result()
            r = await ModbusAnalyzer(bus, regmap).poll()
            assert r is not None
            profile = ProfileSet.load().get("gb34169-2017/anthracite-1")
            v = judge(r, profile)
            assert v.sample_id == r.sample_id
            assert v.overall.value in {"pass", "fail", "retest", "incomplete", "no_limits"}
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_status_word_fault_bits_reported() -> None:
    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-status-word")
        try:
            sim.set_status(2, ["measuring", "furnace_fault"])
            sim.new_result()
            r = await ModbusAnalyzer(bus, regmap).poll()
            assert r is not None
            assert r.status_bits == ("measuring", "furnace_fault")
            assert r.device_faults == ("furnace_fault",)
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_two_units_one_absent_the_other_keeps_pace() -> None:
    """Unit 3 is configured but not on the line: silence (not exception 04)."""

    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-float-cdab", units=[1])
        live = ModbusAnalyzer(bus, regmap, 1)
        dead = ModbusAnalyzer(bus, regmap, 3)
        poller = Poller([live, dead], interval=0.05, backoff_max=0.5)
        poller.start()
        try:
            got = []
            for _ in range(4):
                truth = sim.new_result(1)
                r = await asyncio.wait_for(poller.results.get(), 3.0)
                got.append(r)
                assert r.device.unit_id == 1 and r.sequence == truth.sequence
            assert dead.stats.errors["timeout"] >= 1
            assert not any(k.startswith("exception") for k in dead.stats.errors)
            assert dead.stats.responses == 0
            assert live.stats.errors == {} or set(live.stats.errors) <= {"timeout"}
        finally:
            await poller.stop()
            bus.close()
            await slave.stop()

    run(main)


def test_slow_unit_does_not_stall_the_bus() -> None:
    """Unit 2 answers late (beyond the timeout); unit 1's reads still flow."""

    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-float-cdab", units=[1, 2])
        sim.faults.apply(Faults.parse("slow=0.8,units=2"))
        fast = ModbusAnalyzer(bus, regmap, 1)
        slow = ModbusAnalyzer(bus, regmap, 2)
        poller = Poller([fast, slow], interval=0.05, backoff_max=1.0)
        poller.start()
        try:
            t0 = time.monotonic()
            for _ in range(3):
                sim.new_result(1)
                r = await asyncio.wait_for(poller.results.get(), 3.0)
                assert r.device.unit_id == 1
            assert time.monotonic() - t0 < 5.0
            assert slow.stats.errors["timeout"] >= 1
        finally:
            await poller.stop()
            bus.close()
            await slave.stop()

    run(main)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("no_response", "timeout"),
        ("slow=0.8", "timeout|short_frame"),  # the late reply may land mid-retry
        ("crc", "crc"),
        ("exception=4", "exception_04"),
        ("exception=6", "exception_06"),
        ("garbage", "garbage"),
        ("drop", "short_frame"),
    ],
)
def test_fault_counted_then_recovery(fault: str, kind: str) -> None:
    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-float-cdab", retries=1)
        try:
            a = ModbusAnalyzer(bus, regmap)
            truth = sim.new_result()
            sim.faults.apply(Faults.parse(fault))
            with pytest.raises(ReadError) as ei:
                await a.poll()
            assert ei.value.kind in kind.split("|")
            assert a.stats.errors[ei.value.kind] >= 1
            assert a.stats.retries >= (0 if kind == "exception_04" else 1)
            sim.faults.clear()

            async def recovered() -> bool:
                try:
                    r = await a.poll()
                except ReadError:  # e.g. a late reply still landing
                    return False
                assert r is not None and r.sequence == truth.sequence
                return True

            await async_wait_for(recovered, timeout=5.0)
            assert a.stats.last_good is not None
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_stuck_ready_flag_reported_once() -> None:
    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-status-word")
        try:
            a = ModbusAnalyzer(bus, regmap)
            sim.faults.apply(Faults.parse("stuck_ready"))
            sim.new_result()
            assert await a.poll() is not None
            assert await a.poll() is None  # flag still up, same result: not repeated
            assert a.stats.errors["stuck_ready"] == 1
            sim.faults.clear()
            assert await a.poll() is None  # clear now works
            sim.new_result()
            assert await a.poll() is not None
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_ready_flag_cleared_by_driver() -> None:
    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-status-word")
        try:
            a = ModbusAnalyzer(bus, regmap)
            sim.new_result()
            assert await a.poll() is not None
            ready = regmap.role(regmap.field[0].role)
            assert ready is not None
            assert sim.units[2].regs[ready.table][ready.address] == 0
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_stats_snapshot_has_latency_percentiles() -> None:
    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-float-cdab")
        try:
            a = ModbusAnalyzer(bus, regmap)
            sim.new_result()
            await a.poll()
            snap = a.stats.snapshot()
            assert snap["requests"] == snap["responses"] >= 2
            lat = snap["latency_ms"]
            assert isinstance(lat, dict) and lat["p50"] is not None and lat["p50"] > 10  # wire time
        finally:
            bus.close()
            await slave.stop()

    run(main)


class FlakyBus(ModbusBus):
    """A real bus whose value-block read fails once (a read lost mid-poll)."""

    fail_address: int | None = None

    async def read(self, unit, table, address, count, stats):  # type: ignore[no-untyped-def]
        if address == self.fail_address:
            self.fail_address = None
            raise ReadError("timeout", "injected")
        return await super().read(unit, table, address, count, stats)


def test_result_not_lost_when_value_read_fails_after_sequence_moved() -> None:
    async def main() -> None:
        regmap = resolve_map("scantech-coalscan-9500x")  # trigger block and value block apart
        sim = SimAnalyzer(regmap, seed=3)
        slave = RtuSlave(sim)
        await slave.start()
        bus = FlakyBus(slave.path, baudrate=19200, timeout=TIMEOUT, retries=0)
        try:
            a = ModbusAnalyzer(bus, regmap)
            truth = sim.new_result()
            bus.fail_address = 0
            with pytest.raises(ReadError):
                await a.poll()
            r = await a.poll()
            assert r is not None and r.sequence == truth.sequence
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_wrong_word_order_is_dead_lettered_not_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A map that says ABCD for a CDAB device decodes nonsense: refused, counted, kept."""
    from coalguard.drivers.analyzer import load_map
    from coalguard.drivers.analyzer.regmap import MAPS_DIR

    text = (MAPS_DIR / "generic-rtu-float-cdab.toml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace('order = "CDAB"', 'order = "ABCD"'), encoding="utf-8")

    async def main() -> None:
        _regmap, sim, slave, bus = await rig("generic-rtu-float-cdab")
        try:
            a = ModbusAnalyzer(bus, load_map(wrong))
            sim.new_result()
            assert await a.poll() is None
            assert a.stats.errors["decode"] == 1
            assert "wrong word order" in a.dead_letters[-1]["reason"]
            assert a.stats.results == 0
        finally:
            bus.close()
            await slave.stop()

    run(main)


def test_result_is_sample_like() -> None:
    from coalguard.drivers.analyzer import AnalyzerResult, DeviceIdentity
    from coalguard.edge.model import SampleLike

    r = AnalyzerResult(
        sample_id="S1", indicators={"Aad": 10.0}, device=DeviceIdentity(manufacturer="m", model="x")
    )
    assert isinstance(r, SampleLike)
    assert r.received_at.utcoffset() is not None and r.id.version == 4


def test_wire_time_gap_and_coalescing() -> None:
    """At 9600 8E1 a 25-register read costs its wire time; requests keep t3.5 apart;
    one poll is one request for all the holding registers."""

    async def main() -> None:
        regmap, sim, slave, bus = await rig("generic-rtu-float-cdab")
        try:
            a = ModbusAnalyzer(bus, regmap)
            sim.new_result()
            assert await a.poll() is not None
            assert sim.requests == 2  # serial number (input) once + everything else at once
            for _ in range(5):
                t0 = time.monotonic()
                assert await a.poll() is None
                assert time.monotonic() - t0 >= (8 + 5 + 2 * 25) * 11 / 9600
            assert sim.requests == 7
            assert min(slave.silences) >= bus.gap * 0.95  # 3.5 characters, ~4 ms
        finally:
            bus.close()
            await slave.stop()

    run(main)
