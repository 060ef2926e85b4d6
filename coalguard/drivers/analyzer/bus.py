"""One Modbus bus (a serial port or a TCP endpoint) and its scheduler.

Requests on a bus go strictly one at a time, as RS-485 multi-drop demands,
with the inter-frame silence before each; the lock is FIFO, so units take
turns. Each attempt is bounded by the timeout and the lock is released between
attempts, so a dead unit costs the others one timeout at most. A lost
connection is re-opened with exponential backoff and jitter. Every failure is
classified (timeout, CRC, short frame, garbage, exception code, connection)
and counted on the caller's DeviceStats; nothing raises past ``ReadError``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymodbus import FramerType
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from coalguard.drivers.analyzer import stats as kinds
from coalguard.drivers.analyzer.regmap import Table
from coalguard.drivers.analyzer.stats import DeviceStats
from coalguard.errors import InputError

# pymodbus logs every timeout at ERROR; our stats carry them instead.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

RETRYABLE_EXCEPTIONS = {5, 6}  # acknowledge (busy measuring), server busy


class ReadError(Exception):
    """A read failed after its retries; ``kind`` is the last failure's kind."""

    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}" if detail else kind)


@dataclass(frozen=True)
class Endpoint:
    """Where a bus is: ``tcp://host:port`` or a serial device path / pyserial URL."""

    kind: str  # "tcp" | "rtu"
    address: str
    port: int = 0

    @classmethod
    def parse(cls, text: str, default_tcp_port: int = 502) -> Endpoint:
        if text.startswith("tcp://"):
            rest = text.removeprefix("tcp://").rstrip("/")
            host, _, port_s = rest.rpartition(":") if ":" in rest else (rest, "", "")
            try:
                port = int(port_s) if port_s else default_tcp_port
            except ValueError:
                raise InputError(f"bad TCP port in {text!r}") from None
            if not host:
                raise InputError(f"no host in {text!r} (use tcp://HOST:PORT)")
            return cls("tcp", host, port)
        if not text:
            raise InputError(
                "no port given (a serial device like /dev/ttyUSB0, or tcp://HOST:PORT)"
            )
        return cls("rtu", text)

    def __str__(self) -> str:
        return f"tcp://{self.address}:{self.port}" if self.kind == "tcp" else self.address


def is_pty(path: str) -> bool:
    """A pseudo-terminal (the simulators' ports) refuses parity and 7-bit settings."""
    try:
        return os.path.realpath(path).startswith("/dev/pts/")
    except OSError:  # pragma: no cover
        return False


def char_time(baudrate: int, bytesize: int = 8, parity: str = "E", stopbits: int = 1) -> float:
    """Seconds per character on the wire (start + data + parity + stop bits)."""
    bits = 1 + bytesize + (0 if parity == "N" else 1) + stopbits
    return bits / baudrate


def frame_gap(baudrate: int, char_s: float) -> float:
    """The RTU inter-frame silence t3.5 (fixed 1.75 ms above 19200 baud)."""
    return 0.00175 if baudrate > 19200 else 3.5 * char_s


class ModbusBus:
    """A pymodbus async client shared by every unit on one physical bus."""

    def __init__(
        self,
        port: str | Endpoint,
        *,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "E",
        stopbits: int = 1,
        timeout: float = 1.0,
        retries: int = 2,
        backoff_base: float = 0.2,
        backoff_max: float = 30.0,
        rng: random.Random | None = None,
    ):
        self.endpoint = port if isinstance(port, Endpoint) else Endpoint.parse(port)
        self.timeout = timeout
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._rng = rng or random.Random()
        self._lock = asyncio.Lock()
        self._last_io = 0.0
        self._rx_done = b""
        self._rx_cur = b""
        self._reconnect_at = 0.0
        self._reconnect_delay = 0.0
        self.connects = 0
        if self.endpoint.kind == "tcp":
            self.gap = 0.0
            self.char_s = 0.0
            self.client: Any = AsyncModbusTcpClient(
                self.endpoint.address,
                port=self.endpoint.port,
                framer=FramerType.SOCKET,
                timeout=timeout,
                retries=0,
                reconnect_delay=0,
                trace_packet=self._trace,
            )
        else:
            self.char_s = char_time(baudrate, bytesize, parity, stopbits)
            self.gap = frame_gap(baudrate, self.char_s)
            pty = is_pty(self.endpoint.address)
            # a pty has no line discipline for parity: wire timing still counts it
            self.client = AsyncModbusSerialClient(
                self.endpoint.address,
                framer=FramerType.RTU,
                baudrate=baudrate,
                bytesize=8 if pty else bytesize,
                parity="N" if pty else parity,
                stopbits=stopbits,
                timeout=timeout,
                retries=0,
                reconnect_delay=0,
                trace_packet=self._trace,
            )

    def __str__(self) -> str:
        return str(self.endpoint)

    @property
    def reconnect_delay(self) -> float:
        """The backoff before the next attempt to open the bus (0 while it is open)."""
        return self._reconnect_delay

    # -- raw bytes seen during a transaction, to tell CRC from garbage from silence
    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            if self._rx_cur and data.startswith(self._rx_cur):
                self._rx_cur = data
            else:
                self._rx_done += self._rx_cur
                self._rx_cur = data
        return data

    def _received(self) -> bytes:
        return self._rx_done + self._rx_cur

    def _classify(self, unit: int, fc: int, expected: int) -> str:
        rx = self._received()
        if not rx:
            return kinds.TIMEOUT
        if self.endpoint.kind == "tcp":
            return kinds.GARBAGE
        if rx[0] == unit and len(rx) >= 2 and rx[1] in (fc, fc | 0x80):
            need = 5 if rx[1] & 0x80 else expected
            return kinds.CRC if len(rx) >= need else kinds.SHORT_FRAME
        return kinds.GARBAGE

    async def _ensure_connected(self, stats: DeviceStats) -> None:
        if self.client.connected:
            return
        now = time.monotonic()
        if now < self._reconnect_at:
            raise ReadError(
                kinds.CONNECTION, f"{self}: reconnecting in {self._reconnect_at - now:.1f} s"
            )
        ok = False
        try:
            ok = await self.client.connect()
        except (OSError, ModbusException) as exc:  # pragma: no cover - pymodbus returns False
            stats.error(kinds.CONNECTION, str(exc))
        if ok:
            self.connects += 1
            if self.connects > 1:
                stats.reconnects += 1
            self._reconnect_delay = 0.0
            return
        self._reconnect_delay = min(
            self.backoff_max, max(self.backoff_base, self._reconnect_delay * 2)
        )
        jittered = self._reconnect_delay * (0.5 + self._rng.random())
        self._reconnect_at = time.monotonic() + jittered
        stats.error(kinds.CONNECTION, f"cannot open {self}")
        raise ReadError(kinds.CONNECTION, f"cannot open {self}")

    async def _transact(
        self,
        unit: int,
        fc: int,
        expected: int,
        call: Callable[[], Awaitable[Any]],
        stats: DeviceStats,
    ) -> Any:
        last = ReadError(kinds.TIMEOUT)
        for attempt in range(self.retries + 1):
            if attempt:
                stats.retries += 1
            async with self._lock:
                await self._ensure_connected(stats)
                wait = self._last_io + self.gap - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._rx_done = self._rx_cur = b""
                stats.request()
                t0 = time.monotonic()
                try:
                    rr = await call()
                except ModbusIOException as exc:
                    if self.endpoint.kind == "tcp" and not self.client.connected:
                        kind = kinds.CONNECTION  # the peer closed while we waited
                    else:
                        kind = self._classify(unit, fc, expected)
                    stats.error(kind, f"unit {unit}")
                    last = ReadError(kind, str(exc))
                    if self.endpoint.kind == "rtu" and kind != kinds.TIMEOUT:
                        # let the rest of a bad frame drain before the next request
                        await asyncio.sleep(self.gap)
                    continue
                except (ConnectionException, OSError) as exc:
                    stats.error(kinds.CONNECTION, str(exc))
                    self.client.close()
                    last = ReadError(kinds.CONNECTION, str(exc))
                    continue
                finally:
                    self._last_io = time.monotonic()
                latency = self._last_io - t0
            if rr.isError():
                code = int(getattr(rr, "exception_code", 0) or 0)
                stats.response(latency)
                kind = kinds.exception_kind(code)
                stats.error(kind, f"unit {unit}")
                last = ReadError(kind, f"unit {unit} answered exception {code}")
                if code in RETRYABLE_EXCEPTIONS:
                    # busy measuring: give it time, without holding the bus
                    delay = self.backoff_base * 2**attempt * (0.5 + self._rng.random())
                    await asyncio.sleep(min(delay, self.backoff_max))
                    continue
                raise last
            stats.response(latency)
            return rr
        raise last

    async def read(
        self, unit: int, table: Table, address: int, count: int, stats: DeviceStats
    ) -> list[int]:
        """Read ``count`` registers; raises ReadError after the retries."""
        if table is Table.INPUT:
            fc = 4

            def call() -> Awaitable[Any]:
                return self.client.read_input_registers(address, count=count, device_id=unit)
        else:
            fc = 3

            def call() -> Awaitable[Any]:
                return self.client.read_holding_registers(address, count=count, device_id=unit)

        rr = await self._transact(unit, fc, 5 + 2 * count, call, stats)
        regs = list(rr.registers)
        if len(regs) < count:
            stats.error(kinds.SHORT_FRAME, f"unit {unit}: {len(regs)} of {count} registers")
            raise ReadError(kinds.SHORT_FRAME, f"{len(regs)} of {count} registers")
        return regs[:count]

    async def write(self, unit: int, address: int, value: int, stats: DeviceStats) -> None:
        """Write one holding register (FC06), e.g. to clear a result-ready flag."""

        def call() -> Awaitable[Any]:
            return self.client.write_register(address, value, device_id=unit)

        await self._transact(unit, 6, 8, call, stats)

    def close(self) -> None:
        self.client.close()


class BusPool:
    """One ModbusBus per physical line, so every unit on it shares one scheduler.

    Opening the same port twice with different serial settings is refused:
    one RS-485 line has one baud rate.
    """

    def __init__(self) -> None:
        self._buses: dict[str, tuple[ModbusBus, dict[str, Any]]] = {}

    @staticmethod
    def key(port: str) -> str:
        ep = Endpoint.parse(port)
        return str(ep) if ep.kind == "tcp" else os.path.realpath(ep.address)

    def get(self, port: str, **settings: Any) -> ModbusBus:
        key = self.key(port)
        if key in self._buses:
            bus, first = self._buses[key]
            line = ("baudrate", "bytesize", "parity", "stopbits")
            clash = {
                k: (first.get(k), settings.get(k)) for k in line if first.get(k) != settings.get(k)
            }
            if clash:
                raise InputError(f"{port} is already open with other line settings: {clash}")
            return bus
        bus = ModbusBus(port, **settings)
        self._buses[key] = (bus, settings)
        return bus

    def buses(self) -> list[ModbusBus]:
        return [b for b, _ in self._buses.values()]

    def close(self) -> None:
        for bus, _ in self._buses.values():
            bus.close()
        self._buses.clear()
