"""ASCII line-protocol analyzer on pyserial.

The port is a pyserial URL (``/dev/ttyUSB0``, ``socket://host:port``,
``rfc2217://…``). Results arrive unsolicited; ``$CGQ`` asks for the last one
again. A result is reported once per (sequence, sample id).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

import serial

from coalguard.drivers.analyzer import stats as kinds
from coalguard.drivers.analyzer.ascii_protocol import (
    IDENT,
    QUERY,
    RESULT,
    LineFramer,
    Reject,
    frame,
    parse_line,
    parse_result,
)
from coalguard.drivers.analyzer.result import AnalyzerResult, DeviceIdentity
from coalguard.drivers.analyzer.stats import DeviceStats
from coalguard.edge.model import utcnow


class AsciiAnalyzer:
    """An analyzer speaking the coalguard ASCII line protocol on a serial port."""

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 9600,
        manufacturer: str = "unknown",
        model: str = "ascii",
        serial_number: str | None = None,
        read_timeout: float = 0.05,
        backoff_max: float = 10.0,
    ):
        self.port = port
        self.baudrate = baudrate
        self.manufacturer = manufacturer
        self.model = model
        self.serial_number = serial_number
        self.read_timeout = read_timeout
        self.backoff_max = backoff_max
        self.stats = DeviceStats(port)
        self.dead_letters: deque[dict[str, Any]] = deque(maxlen=100)
        self._framer = LineFramer()
        self._ser: serial.SerialBase | None = None
        self._seen: deque[tuple[int | None, str]] = deque(maxlen=64)
        self._reopen_at = 0.0
        self._delay = 0.0
        self._query_at = 0.0

    # -- connection ---------------------------------------------------------
    def _ensure_open(self) -> bool:
        if self._ser is not None:
            return True
        now = time.monotonic()
        if now < self._reopen_at:
            return False
        try:
            self._ser = serial.serial_for_url(
                self.port, baudrate=self.baudrate, timeout=self.read_timeout
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            self.stats.error(kinds.CONNECTION, str(exc))
            self._delay = min(self.backoff_max, max(0.2, self._delay * 2))
            self._reopen_at = now + self._delay * (0.5 + random.random())
            return False
        if self._delay:
            self.stats.reconnects += 1
        self._delay = 0.0
        self._framer = LineFramer()
        return True

    def _drop(self, why: str) -> None:
        self.stats.error(kinds.CONNECTION, why)
        if self._ser is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                self._ser.close()
        self._ser = None
        self._reopen_at = time.monotonic() + 0.2

    def close(self) -> None:
        if self._ser is not None:
            self._ser.close()
            self._ser = None

    # -- requests -----------------------------------------------------------
    def query(self) -> None:
        """Ask the analyzer to send its last result again."""
        if not self._ensure_open():
            return
        assert self._ser is not None
        try:
            self._ser.write(frame(QUERY))
            self.stats.request()
            self._query_at = time.monotonic()
        except (serial.SerialException, OSError) as exc:
            self._drop(str(exc))

    # -- reading ------------------------------------------------------------
    def _read_bytes(self) -> bytes:
        if not self._ensure_open():
            time.sleep(self.read_timeout)
            return b""
        assert self._ser is not None
        try:
            data = self._ser.read(max(1, self._ser.in_waiting))
        except (serial.SerialException, OSError) as exc:
            self._drop(str(exc))
            return b""
        return data

    def _reject(self, r: Reject) -> None:
        self.stats.error(r.kind, r.detail)
        self.dead_letters.append(
            {
                "at": utcnow().isoformat(),
                "device": self.port,
                "kind": r.kind,
                "reason": r.detail,
                "raw": r.raw[:128].decode("ascii", "replace"),
            }
        )

    def feed(self, data: bytes) -> Iterator[AnalyzerResult]:
        """Turn received bytes into new results (the parsing half, no I/O)."""
        for item in self._framer.feed(data):
            if isinstance(item, Reject):
                self._reject(item)
                continue
            line = parse_line(item)
            if isinstance(line, Reject):
                self._reject(line)
                continue
            if line.sentence == IDENT:
                self.serial_number = line.fields.get("SN") or self.serial_number
                self.model = line.fields.get("MDL") or self.model
                self.manufacturer = line.fields.get("MFR") or self.manufacturer
                continue
            if line.sentence != RESULT:
                continue
            parsed = parse_result(line)
            if isinstance(parsed, Reject):
                self._reject(parsed)
                continue
            if self._query_at:
                self.stats.response(time.monotonic() - self._query_at)
                self._query_at = 0.0
            else:
                self.stats.last_good = utcnow()
            key = (parsed.sequence, parsed.sample_id)
            if key in self._seen:
                continue
            self._seen.append(key)
            self.stats.results += 1
            yield AnalyzerResult(
                sample_id=parsed.sample_id,
                indicators=parsed.indicators,
                analyzer_time=parsed.analyzer_time,
                device=DeviceIdentity(
                    manufacturer=self.manufacturer,
                    model=parsed.model or self.model,
                    serial=parsed.serial or self.serial_number,
                    port=self.port,
                    map_id="ascii",
                ),
                sequence=parsed.sequence,
                device_faults=parsed.status,
                status_bits=parsed.status,
            )

    def results(self, deadline: float | None = None) -> Iterator[AnalyzerResult]:
        """New results as they arrive, until ``deadline`` (monotonic) if given."""
        while deadline is None or time.monotonic() < deadline:
            data = self._read_bytes()
            if data:
                yield from self.feed(data)

    async def aresults(self) -> AsyncIterator[AnalyzerResult]:
        """New results for asyncio code (the gateway): blocking reads run in a thread."""
        while True:
            data = await asyncio.to_thread(self._read_bytes)
            for r in self.feed(data):
                yield r

    def read_one(self, timeout: float = 3.0, retries: int = 2) -> AnalyzerResult | None:
        """Query and wait for the current result; None if none came."""
        for _ in range(retries + 1):
            self.query()
            for r in self.results(time.monotonic() + timeout):
                return r
            if self._ser is not None:  # open but silent (else: counted as connection)
                self.stats.error(kinds.TIMEOUT, "no result after query")
        return None
