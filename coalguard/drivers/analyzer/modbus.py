"""A Modbus analyzer (one unit id on a bus): detect new results, decode, report once.

A poll reads the trigger registers (sequence counter or ready flag, status
word); only when a new result is signalled are the value registers read. A
result is reported once: a sequence must change, a ready flag must carry a
result not reported before (a stuck flag is counted, not repeated).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from coalguard.drivers.analyzer import stats as kinds
from coalguard.drivers.analyzer.bus import ModbusBus, ReadError
from coalguard.drivers.analyzer.codec import DataType, decode
from coalguard.drivers.analyzer.plan import ReadRequest, coalesce
from coalguard.drivers.analyzer.regmap import Field_, RegisterMap, Role
from coalguard.drivers.analyzer.result import AnalyzerResult, DeviceIdentity
from coalguard.drivers.analyzer.stats import DeviceStats
from coalguard.drivers.analyzer.units import to_canonical
from coalguard.edge.model import utcnow
from coalguard.edge.quality.basis import validate_measured

# No analyzer reports a value this small; a float32 read in the wrong word
# order typically decodes to a denormal like 1.4e-45.
TINY = 1e-6
log = logging.getLogger(__name__)
_TRIGGER = {Role.SEQUENCE, Role.READY, Role.STATUS}


def field_value(f: Field_, registers: list[int]) -> float | str:
    """Decode one field: type and word order, then scale and offset."""
    raw = decode(registers, f.type, f.order)
    if isinstance(raw, str):
        return raw
    return raw * f.scale + f.offset


class ModbusAnalyzer:
    """One analyzer on a bus. ``poll()`` returns a result only when it is new."""

    def __init__(
        self,
        bus: ModbusBus,
        regmap: RegisterMap,
        unit: int | None = None,
        *,
        serial: str | None = None,
        report_existing: bool = True,
    ):
        self.bus = bus
        self.map = regmap
        self.unit = unit if unit is not None else regmap.transport.unit
        self.stats = DeviceStats(f"{bus}#{self.unit}")
        self.dead_letters: deque[dict[str, Any]] = deque(maxlen=100)
        self._serial = serial
        self._report_existing = report_existing
        serial_field = regmap.role(Role.SERIAL)
        fields = [f for f in regmap.field if f.role is not Role.SERIAL]
        self._triggers = [r for r in coalesce(regmap, fields) if _has_trigger(r)]
        self._rest = [r for r in coalesce(regmap, fields) if not _has_trigger(r)]
        self._serial_req = coalesce(regmap, [serial_field]) if serial_field else []
        self._last_seq: int | None = None
        self._last_key: tuple[Any, ...] | None = None
        self._first = True

    @property
    def identity(self) -> DeviceIdentity:
        return DeviceIdentity(
            manufacturer=self.map.device.manufacturer,
            model=self.map.device.model,
            serial=self._serial,
            unit_id=self.unit,
            port=str(self.bus),
            map_id=self.map.id,
        )

    async def _read(self, reqs: list[ReadRequest]) -> dict[str, float | str]:
        out: dict[str, float | str] = {}
        for r in reqs:
            regs = await self.bus.read(self.unit, r.table, r.address, r.count, self.stats)
            for f in r.fields:
                out[f.name] = field_value(f, r.slice(regs, f))
        return out

    async def identify(self) -> DeviceIdentity:
        """Read the serial number once, when the map has one."""
        if self._serial is None and self._serial_req:
            values = await self._read(self._serial_req)
            self._serial = str(next(iter(values.values()))) or None
        return self.identity

    async def read_current(self) -> AnalyzerResult | None:
        """The result the analyzer holds now, new or not (None before its first)."""
        self._first = True
        self._report_existing = True
        self._last_seq = None
        self._last_key = None
        return await self.poll()

    async def poll(self) -> AnalyzerResult | None:
        """One poll: a new result, or None. Raises ReadError when the unit fails."""
        if self._serial is None and self._serial_req:
            # identity is nice to have; the result is what matters
            with contextlib.suppress(ReadError):
                await self.identify()
        values = await self._read(self._triggers)
        seq_f = self.map.role(Role.SEQUENCE)
        ready_f = self.map.role(Role.READY)
        seq: int | None = None
        first, self._first = self._first, False
        if seq_f is not None:
            seq = int(values[seq_f.name])
            if seq == self._last_seq:
                return None
            if seq == 0 or (first and self._last_seq is None and not self._report_existing):
                self._last_seq = seq
                return None
        if ready_f is not None and not values[ready_f.name]:
            return None
        values.update(await self._read(self._rest))
        # only now is the result safely in hand: a failed read above is retried next poll
        self._last_seq = seq
        result = self._build(values, seq)
        if ready_f is not None and self.map.ready_clear:
            await self.bus.write(self.unit, ready_f.address, 0, self.stats)
        if result is None:
            return None
        key = (result.sample_id, seq, tuple(sorted(result.indicators.items())))
        if key == self._last_key:
            self.stats.error(kinds.STUCK_READY, f"unit {self.unit}: {result.sample_id} again")
            return None
        self._last_key = key
        self.stats.results += 1
        return result

    def _build(self, values: dict[str, float | str], seq: int | None) -> AnalyzerResult | None:
        received = utcnow()
        indicators: dict[str, float] = {}
        uncertainty: dict[str, float] = {}
        extra: dict[str, float] = {}
        for f in self.map.values:
            v = values.get(f.name)
            if not isinstance(v, float | int) or not math.isfinite(v):
                return self._dead(f"field {f.name}: not a finite number ({v!r})", values)
            if f.type is DataType.FLOAT32 and 0 < abs(v) < TINY:
                return self._dead(
                    f"field {f.name}: {v:g} is absurdly small (wrong word order in the map?)",
                    values,
                )
            if f.indicator:
                indicators[f.indicator] = round(to_canonical(float(v), f.unit), 4)
                if f.uncertainty is not None:
                    uncertainty[f.indicator] = f.uncertainty
            else:
                extra[f.name] = float(v)
        try:
            validate_measured(indicators)
        except ValueError as exc:
            return self._dead(str(exc), values)
        sid_f = self.map.role(Role.SAMPLE_ID)
        sample_id = ""
        if sid_f is not None:
            raw = values.get(sid_f.name, "")
            sample_id = raw if isinstance(raw, str) else f"{int(raw)}"
        from_device = bool(sample_id)
        if not sample_id:
            tag = f"{seq}" if seq is not None else received.strftime("%Y%m%dT%H%M%S")
            sample_id = f"{self.map.device.model.replace(' ', '')}-{self.unit}-{tag}"
        analyzer_time = None
        ts_f = self.map.role(Role.TIMESTAMP)
        if ts_f is not None:
            ts = values.get(ts_f.name)
            if isinstance(ts, int | float) and 0 < ts < 4_102_444_800:
                analyzer_time = datetime.fromtimestamp(int(ts), UTC)
        bits, faults = self._status(values)
        return AnalyzerResult(
            sample_id=sample_id[:64],
            sample_id_from_device=from_device,
            indicators=indicators,
            uncertainty=uncertainty,
            analyzer_time=analyzer_time,
            received_at=received,
            device=self.identity,
            sequence=seq,
            device_faults=faults,
            status_bits=bits,
            extra=extra,
        )

    def _status(self, values: dict[str, float | str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        st = self.map.status
        if st is None:
            return (), ()
        word = int(values.get(st.field, 0) or 0)
        bits = tuple(
            name
            for bit, name in sorted(st.bits.items(), key=lambda kv: int(kv[0]))
            if word >> int(bit) & 1
        )
        return bits, tuple(b for b in bits if b in st.fault)

    def _dead(self, reason: str, values: dict[str, float | str]) -> None:
        self.stats.error(kinds.DECODE, reason)
        self.dead_letters.append(
            {
                "at": utcnow().isoformat(),
                "device": self.stats.device,
                "reason": reason,
                "values": {k: (v if isinstance(v, str) else repr(v)) for k, v in values.items()},
            }
        )
        return None


def _has_trigger(r: ReadRequest) -> bool:
    return any(f.role in _TRIGGER for f in r.fields)


class Poller:
    """Poll analyzers at their interval; a failing one backs off with jitter.

    One task per analyzer; they share their bus's scheduler, so a dead unit
    takes one timeout per backoff period and the others keep their pace.
    """

    def __init__(
        self,
        analyzers: list[ModbusAnalyzer],
        interval: float | None = None,
        backoff_max: float = 10.0,
        rng: random.Random | None = None,
    ):
        self.analyzers = analyzers
        self.interval = interval
        self.backoff_max = backoff_max
        self._rng = rng or random.Random()
        self.results: asyncio.Queue[AnalyzerResult] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def _run(self, a: ModbusAnalyzer) -> None:
        interval = self.interval or a.map.transport.poll_interval
        failures = 0
        while True:
            t0 = time.monotonic()
            try:
                result = await a.poll()
            except ReadError:
                failures += 1
            except Exception as exc:  # a driver bug must not silence the analyzer
                log.exception("poll of %s failed", a.stats.device)
                a.stats.error("internal", repr(exc))
                failures += 1
            else:
                failures = 0
                if result is not None:
                    await self.results.put(result)
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - t0)))
                continue
            # failing: back off exponentially, with jitter, up to backoff_max
            delay = min(self.backoff_max, interval * 2 ** min(failures, 10))
            await asyncio.sleep(delay * (0.5 + self._rng.random() / 2))

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(a)) for a in self.analyzers]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def __aiter__(self) -> AsyncIterator[AnalyzerResult]:
        while True:
            yield await self.results.get()


__all__ = ["DataType", "ModbusAnalyzer", "Poller", "field_value"]
