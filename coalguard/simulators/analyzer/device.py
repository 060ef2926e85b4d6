"""A simulated analyzer (one or more unit ids) serving one register map.

Transport-free: the RTU, TCP and ASCII front ends ask it for registers and
apply the faults. ``new_result()`` makes the analyzer finish a sample: values
are written in the map's types, word orders, scales and units, the sequence
counter moves on or the ready flag is raised.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from coalguard.drivers.analyzer.codec import DataType, encode
from coalguard.drivers.analyzer.regmap import Field_, RegisterMap, Role, Table
from coalguard.drivers.analyzer.units import ENERGY_UNITS, PERCENT_UNITS, from_canonical
from coalguard.edge.clock import SystemClock
from coalguard.simulators.analyzer.coal import SampleSource
from coalguard.simulators.analyzer.faults import Faults

ILLEGAL_FUNCTION = 1
ILLEGAL_ADDRESS = 2
ILLEGAL_VALUE = 3


@dataclass
class SimResult:
    """What the analyzer last measured, in canonical units (tests compare to it)."""

    sample_id: str
    sequence: int
    coal: str
    indicators: dict[str, float]
    measured_at: datetime


@dataclass
class Unit:
    unit_id: int
    serial: str
    regs: dict[Table, dict[int, int]] = field(
        default_factory=lambda: {Table.HOLDING: {}, Table.INPUT: {}}
    )
    sequence: int = 0
    last: SimResult | None = None
    status_word: int = 0
    entered_sample_id: str = ""  # typed or scanned at the analyzer, for its next sample


class SimAnalyzer:
    """Register banks for each unit id, filled from a sample source."""

    def __init__(
        self,
        regmap: RegisterMap,
        units: list[int] | None = None,
        *,
        seed: int | None = None,
        coal: str | None = None,
        faults: Faults | None = None,
    ):
        self.map = regmap
        self.units = {
            u: Unit(u, f"SIM{u:03d}{regmap.id[:3].upper()}")
            for u in (units or [regmap.transport.unit])
        }
        self.source = SampleSource(seed, coal)
        self.faults = faults or Faults()
        self.requests = 0
        self._limit = {
            t: max((f.end for f in regmap.field if f.table is t), default=0) for t in Table
        }
        for u in self.units.values():
            serial_f = regmap.role(Role.SERIAL)
            if serial_f is not None:
                self._put(u, serial_f, u.serial)

    def _put(self, u: Unit, f: Field_, value: float | str) -> None:
        regs = encode(value, f.type, f.order, f.length)
        for i, r in enumerate(regs):
            u.regs[f.table][f.address + i] = r

    def set_status(self, unit: int, bits: list[str]) -> None:
        """Raise named status bits (from the map's [status] table) on a unit."""
        st = self.map.status
        if st is None:
            raise ValueError(f"map {self.map.id} has no status word")
        by_name = {name: int(bit) for bit, name in st.bits.items()}
        word = 0
        for b in bits:
            if b not in by_name:
                raise ValueError(f"unknown status bit {b!r} (known: {', '.join(by_name)})")
            word |= 1 << by_name[b]
        u = self.units[unit]
        u.status_word = word
        f = self.map.role(Role.STATUS)
        assert f is not None
        self._put(u, f, word)

    def enter_sample_id(self, sample_id: str, unit: int | None = None) -> None:
        """The operator types or scans a sample id at the analyzer for its next sample."""
        if not self.map.carries_sample_id:
            raise ValueError(f"map {self.map.id} takes no sample id (sample_id_entry = 'none')")
        if not sample_id.isascii() or len(sample_id) > self.map.sample_id_chars:
            raise ValueError(
                f"sample id {sample_id!r}: at most {self.map.sample_id_chars} ASCII characters"
            )
        for u in [self.units[unit]] if unit is not None else self.units.values():
            u.entered_sample_id = sample_id

    def new_result(self, unit: int | None = None) -> SimResult:
        """Finish a sample on ``unit`` (default: every unit gets one; returns the last)."""
        targets = [self.units[unit]] if unit is not None else list(self.units.values())
        out: SimResult | None = None
        for u in targets:
            out = self._measure(u)
        assert out is not None
        return out

    def _measure(self, u: Unit) -> SimResult:
        symbols = [f.indicator for f in self.map.values if f.indicator]
        coal, values = self.source.draw(symbols)
        u.sequence = u.sequence % 65535 + 1
        now = SystemClock().now().replace(microsecond=0)
        sid_f = self.map.role(Role.SAMPLE_ID)
        width = 2 * sid_f.length if sid_f is not None and sid_f.type is DataType.STRING else 10
        sample_id = f"S{now:%m%d}{u.unit_id:02d}{u.sequence:04d}"[-width:]
        if self.map.carries_sample_id:  # what the operator entered, or nothing
            sample_id, u.entered_sample_id = u.entered_sample_id, ""
        reported: dict[str, float] = {}
        for f in self.map.values:
            if f.indicator:
                device_value = from_canonical(values[f.indicator], f.unit)
            else:
                lo, hi = f.simulate or (0.0, 0.0)
                device_value = self.source.rng.uniform(lo, hi)
            raw = (device_value - f.offset) / f.scale
            self._put(u, f, raw)
            if f.indicator:
                # what the driver should decode: the value after type rounding
                decoded = raw if f.type is DataType.FLOAT32 else round(raw)
                canonical = decoded * f.scale + f.offset
                factor = {**PERCENT_UNITS, **ENERGY_UNITS}[f.unit]
                reported[f.indicator] = canonical * factor
        for f in self.map.field:
            if f.role is Role.SAMPLE_ID:
                self._put(u, f, sample_id if f.type is DataType.STRING else u.sequence)
            elif f.role is Role.TIMESTAMP:
                self._put(u, f, int(now.timestamp()))
            elif f.role is Role.SEQUENCE:
                self._put(u, f, u.sequence)
            elif f.role is Role.READY:
                self._put(u, f, 1)
        if sid_f is None:
            sample_id = ""
        u.last = SimResult(sample_id, u.sequence, coal, reported, now)
        return u.last

    # -- Modbus requests ---------------------------------------------------------
    def read(self, unit: int, fc: int, address: int, count: int) -> list[int] | int | None:
        """Registers, an exception code, or None when no such unit (silence)."""
        u = self.units.get(unit)
        if u is None:
            return None
        self.requests += 1
        if fc not in (3, 4):
            return ILLEGAL_FUNCTION
        if not 1 <= count <= 125:
            return ILLEGAL_VALUE
        table = Table.HOLDING if fc == 3 else Table.INPUT
        if self.map.block:
            if not any(
                b.table is table and b.start <= address and address + count <= b.start + b.count
                for b in self.map.block
            ):
                return ILLEGAL_ADDRESS
        elif address + count > max(self._limit[table], 1):
            return ILLEGAL_ADDRESS
        bank = u.regs[table]
        return [bank.get(a, 0) for a in range(address, address + count)]

    def write(self, unit: int, address: int, value: int) -> int | None:
        """FC06. Only the ready flag is writable; 0 clears it (unless stuck)."""
        u = self.units.get(unit)
        if u is None:
            return None
        self.requests += 1
        ready = self.map.role(Role.READY)
        if ready is None or address != ready.address or ready.table is not Table.HOLDING:
            return ILLEGAL_ADDRESS
        if not (self.faults.stuck_ready and self.faults.hits(unit)):
            self._put(u, ready, value)
        return 0


class Ticker:
    """Produces a new result every ``period`` seconds (the analyzer's cadence)."""

    def __init__(self, sim: SimAnalyzer, period: float):
        self.sim = sim
        self.period = period
        self._next = time.monotonic()

    def due(self) -> bool:
        if self.period > 0 and time.monotonic() >= self._next:
            self._next = time.monotonic() + self.period
            return True
        return False
