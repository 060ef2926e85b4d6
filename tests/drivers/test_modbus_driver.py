"""The Modbus driver against pymodbus's own server: no simulator, every fault scripted.

Each test pins something a broken driver would get wrong: the word order of
a float, new-result detection by sequence, which exception codes are retried
and how each failure is counted, that a bad frame costs one read and not the
bus, and that reconnecting backs off up to a cap.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient

from coalguard.drivers.analyzer import ModbusAnalyzer, ModbusBus, ReadError, load_map
from coalguard.drivers.analyzer.regmap import RegisterMap, Table
from coalguard.drivers.analyzer.stats import DeviceStats
from tests.drivers.pymodbus_device import Device, free_port, running
from tests.support.waiting import async_wait_for

pytestmark = pytest.mark.timeout(30)

TIMEOUT = 0.3
ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"]
MAP = """
format = 1
id = "test-{lower}"
version = "1"

[device]
manufacturer = "Test"
model = "T-1"

[transport]
kind = "tcp"
unit = 1
timeout = 0.3
poll_interval = 1.0

[[field]]
name = "sequence"
role = "sequence"
address = 0
type = "uint16"

[[field]]
name = "aad"
address = 1
type = "float32"
order = "{order}"
unit = "%"
indicator = "Aad"
"""


def run(main: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(main())


def a_map(tmp_path: Path, order: str) -> RegisterMap:
    path = tmp_path / f"{order}.toml"
    path.write_text(MAP.format(order=order, lower=order.lower()), encoding="utf-8")
    return load_map(path)


def float_words(value: float, order: str) -> list[int]:
    """``value`` as two registers in ``order``, encoded by pymodbus (not by our codec)."""
    words = ModbusTcpClient.convert_to_registers(
        value,
        ModbusTcpClient.DATATYPE.FLOAT32,
        word_order="little" if order in ("CDAB", "DCBA") else "big",
    )
    if order in ("BADC", "DCBA"):
        words = [struct.unpack(">H", struct.pack("<H", w))[0] for w in words]
    return words


def bus_for(device: Device, **kw: float) -> ModbusBus:
    settings: dict = {"timeout": TIMEOUT, "retries": 0, "backoff_base": 0.001, **kw}
    return ModbusBus(device.url, **settings)


# -- decoding and new results --------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
def test_float_in_each_word_order_decodes_to_what_the_device_holds(
    tmp_path: Path, order: str
) -> None:
    async def main() -> None:
        async with running("tcp") as device:
            device.registers[0] = 1
            device.registers[1:3] = float_words(12.34, order)
            bus = bus_for(device)
            try:
                right = await ModbusAnalyzer(bus, a_map(tmp_path, order)).poll()
                assert right is not None and right.indicators["Aad"] == pytest.approx(12.34)
                for other in (o for o in ORDERS if o != order):
                    wrong = await ModbusAnalyzer(bus, a_map(tmp_path, other)).poll()
                    assert wrong is None or wrong.indicators["Aad"] != pytest.approx(12.34)
            finally:
                bus.close()

    run(main)


def test_result_reported_once_per_sequence_and_never_for_sequence_zero(tmp_path: Path) -> None:
    async def main() -> None:
        async with running("tcp") as device:
            device.registers[1:3] = float_words(10.0, "ABCD")
            bus = bus_for(device)
            a = ModbusAnalyzer(bus, a_map(tmp_path, "ABCD"))
            try:
                assert await a.poll() is None  # sequence 0: nothing measured yet
                device.registers[0] = 7
                first = await a.poll()
                assert first is not None and first.sequence == 7
                assert await a.poll() is None  # the same result is not reported twice
                device.registers[0] = 8
                device.registers[1:3] = float_words(11.0, "ABCD")
                second = await a.poll()
                assert second is not None and second.indicators["Aad"] == pytest.approx(11.0)
                assert a.stats.results == 2 and a.stats.errors == {}
                # a driver started later does not report the result already shown
                late = ModbusAnalyzer(bus, a_map(tmp_path, "ABCD"), report_existing=False)
                assert await late.poll() is None
            finally:
                bus.close()

    run(main)


# -- exception codes -------------------------------------------------------------


@pytest.mark.parametrize("framing", ["tcp", "rtu"])
@pytest.mark.parametrize("code", [1, 2, 3, 4])
def test_refusing_exception_is_counted_once_and_not_retried(framing: str, code: int) -> None:
    async def main() -> None:
        async with running(framing) as device:
            device.exceptions.append(code)
            bus = bus_for(device, retries=2)
            stats = DeviceStats("t")
            try:
                with pytest.raises(ReadError) as err:
                    await bus.read(1, Table.HOLDING, 0, 2, stats)
                assert err.value.kind == f"exception_{code:02d}"
                assert dict(stats.errors) == {f"exception_{code:02d}": 1}
                assert (stats.requests, stats.retries, device.requests) == (1, 0, 1)
                assert await bus.read(1, Table.HOLDING, 0, 2, stats) == [0, 0]
            finally:
                bus.close()

    run(main)


@pytest.mark.parametrize("code", [5, 6])
def test_busy_exception_is_retried_and_the_read_succeeds(code: int) -> None:
    async def main() -> None:
        async with running("tcp") as device:
            device.registers[0:2] = [3, 4]
            device.exceptions.extend([code, code])
            bus = bus_for(device, retries=2)
            stats = DeviceStats("t")
            try:
                assert await bus.read(1, Table.HOLDING, 0, 2, stats) == [3, 4]
                assert dict(stats.errors) == {f"exception_{code:02d}": 2}
                assert (stats.retries, device.requests) == (2, 3)
            finally:
                bus.close()

    run(main)


def test_busy_beyond_the_retries_fails_with_its_own_kind() -> None:
    async def main() -> None:
        async with running("tcp") as device:
            device.exceptions.extend([6, 6, 6])
            bus = bus_for(device, retries=1)
            stats = DeviceStats("t")
            try:
                with pytest.raises(ReadError) as err:
                    await bus.read(1, Table.HOLDING, 0, 2, stats)
                assert err.value.kind == "exception_06" and stats.errors["exception_06"] == 2
            finally:
                bus.close()

    run(main)


# -- bad frames and silence ---------------------------------------------------------


def _bad_crc(frame: bytes) -> bytes:
    return frame[:-1] + bytes([frame[-1] ^ 0xFF])


@pytest.mark.parametrize(
    ("framing", "rewrite", "kind"),
    [
        ("rtu", _bad_crc, "crc"),
        ("rtu", lambda f: f[:4], "short_frame"),
        ("rtu", lambda f: b"\x55\xaa\x00\xff\x13\x37\x42", "garbage"),
        ("rtu", lambda f: b"", "timeout"),
        ("tcp", lambda f: b"\x55\xaa\x00\xff\x13\x37\x42\x00\x01", "garbage"),
        ("tcp", lambda f: b"", "timeout"),
    ],
    ids=["rtu-crc", "rtu-short", "rtu-garbage", "rtu-silence", "tcp-garbage", "tcp-silence"],
)
def test_bad_frame_is_counted_by_kind_and_the_retry_reads(
    framing: str, rewrite: Callable[[bytes], bytes], kind: str
) -> None:
    async def main() -> None:
        async with running(framing) as device:
            device.registers[0:2] = [0x1234, 0x5678]
            device.rewrites.append(rewrite)
            bus = bus_for(device, retries=1)
            stats = DeviceStats("t")
            try:
                assert await bus.read(1, Table.HOLDING, 0, 2, stats) == [0x1234, 0x5678]
                assert dict(stats.errors) == {kind: 1}
                assert stats.retries == 1 and stats.responses == 1
            finally:
                bus.close()

    run(main)


@pytest.mark.parametrize("framing", ["tcp", "rtu"])
def test_garbage_frame_is_not_fatal_to_the_bus(framing: str) -> None:
    async def main() -> None:
        async with running(framing) as device:
            device.registers[0] = 99
            device.rewrites.append(lambda f: b"\xde\xad\xbe\xef" * 3)
            bus = bus_for(device)
            stats = DeviceStats("t")
            try:
                with pytest.raises(ReadError) as err:
                    await bus.read(1, Table.HOLDING, 0, 1, stats)
                assert err.value.kind == "garbage"

                async def reads() -> bool:
                    try:
                        return await bus.read(1, Table.HOLDING, 0, 1, stats) == [99]
                    except ReadError:
                        return False

                assert await async_wait_for(reads, timeout=5)
                assert stats.errors["garbage"] == 1
            finally:
                bus.close()

    run(main)


# -- the connection ------------------------------------------------------------------


class _Middle(random.Random):
    """Jitter factor exactly 1: the delay is the backoff itself."""

    def random(self) -> float:
        return 0.5


def test_reconnect_backoff_doubles_up_to_its_cap_then_resets() -> None:
    async def main() -> None:
        port = free_port()  # nothing listens here yet
        bus = ModbusBus(
            f"tcp://127.0.0.1:{port}",
            timeout=TIMEOUT,
            retries=0,
            backoff_base=0.01,
            backoff_max=0.04,
            rng=_Middle(),
        )
        stats = DeviceStats("t")
        delays: list[float] = []

        async def attempt_made() -> bool:
            try:
                await bus.read(1, Table.HOLDING, 0, 1, stats)
            except ReadError as exc:
                assert exc.kind == "connection"
                if "cannot open" in exc.detail:
                    delays.append(bus.reconnect_delay)
                    return True
                return False  # still waiting out the backoff: no attempt made
            return True

        try:
            for _ in range(6):
                await async_wait_for(attempt_made, timeout=5)
            assert delays == pytest.approx([0.01, 0.02, 0.04, 0.04, 0.04, 0.04])
            assert stats.errors["connection"] == 6
            async with running("tcp", port=port) as device:
                device.registers[0] = 5

                async def reads() -> bool:
                    try:
                        return await bus.read(1, Table.HOLDING, 0, 1, stats) == [5]
                    except ReadError:
                        return False

                assert await async_wait_for(reads, timeout=5)
                assert bus.reconnect_delay == 0.0
        finally:
            bus.close()

    run(main)
