"""Register maps: one TOML data file per analyzer model, validated at load.

A map names the transport defaults, how a new result is signalled (a sequence
counter that changes, or a ready flag the driver clears), the fields with
their table, address, type, word order, scale and unit, the indicator each
carries, and an optional status word whose bits name device faults. Format:
``docs/register-maps.md``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from coalguard.datafile import FieldError, Integer, Number, load_model
from coalguard.drivers.analyzer.codec import DataType, WordOrder, counter_max, register_count
from coalguard.drivers.analyzer.units import ENERGY_UNITS, PERCENT_UNITS, UNITS
from coalguard.edge.quality.indicators import KNOWN, parse
from coalguard.errors import DataFileError, WordedValueError

MAPS_DIR = Path(__file__).resolve().parent / "maps"
MAX_READ = 125  # FC03/FC04 quantity limit


class Table(StrEnum):
    HOLDING = "holding"
    INPUT = "input"


class Role(StrEnum):
    """What a field means to the driver (``value`` is an indicator or an extra)."""

    VALUE = "value"
    SAMPLE_ID = "sample_id"
    TIMESTAMP = "timestamp"  # unix seconds, UTC
    SEQUENCE = "sequence"  # changes once per new result
    READY = "ready"  # non-zero while a new result waits
    STATUS = "status"  # bit field, see [status]
    SERIAL = "serial"  # device serial number (string)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Device(_Strict):
    manufacturer: str = Field(min_length=1)
    model: str = Field(min_length=1)
    notes: str = ""


class Transport(_Strict):
    kind: Literal["rtu", "tcp", "both"] = "both"
    baudrate: Integer = Field(9600, gt=0)
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "E"
    stopbits: Literal[1, 2] = 1
    unit: Integer = Field(1, ge=1, le=247)
    tcp_port: Integer = Field(502, gt=0, lt=65536)
    timeout: Number = Field(1.0, gt=0)
    poll_interval: Number = Field(1.0, gt=0)


class Block(_Strict):
    """A range a single read may not cross (the device refuses it)."""

    table: Table = Table.HOLDING
    start: Integer = Field(ge=0, le=65535)
    count: Integer = Field(ge=1, le=MAX_READ)


class Field_(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    role: Role = Role.VALUE
    table: Table = Table.HOLDING
    address: Integer = Field(ge=0, le=65535, description="PDU offset (40001 is 0)")
    type: DataType = DataType.FLOAT32
    order: WordOrder = WordOrder.ABCD
    length: Integer = Field(0, ge=0, le=MAX_READ, description="registers of a string")
    scale: Number = 1.0
    offset: Number = 0.0
    unit: str = ""
    indicator: str | None = None
    uncertainty: Number | None = Field(None, ge=0, description="absolute, canonical units")
    simulate: tuple[Number, Number] | None = None  # simulator range for an extra value

    @field_validator("indicator")
    @classmethod
    def _known(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return v
        if v not in KNOWN:
            raise WordedValueError(
                "config_words.map_unknown_indicator", value=v, known=", ".join(KNOWN)
            )
        unit = info.data.get("unit", "")
        if parse(v).is_calorific:
            if unit not in ENERGY_UNITS:
                raise WordedValueError(
                    "config_words.map_energy_unit",
                    indicator=v,
                    units=", ".join(ENERGY_UNITS),
                    got=unit or "-",
                )
        elif unit not in PERCENT_UNITS:
            raise WordedValueError("config_words.map_percent_unit", indicator=v, got=unit or "-")
        return v

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str) -> str:
        if v and v not in UNITS and v not in ("t", "t/h", "s", "-"):
            raise WordedValueError("config_words.map_unknown_unit", value=v, known=", ".join(UNITS))
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Field_:
        if self.type is DataType.STRING:
            if self.length < 1:
                raise WordedValueError("config_words.map_string_length", field=self.name)
            if self.role not in (Role.SAMPLE_ID, Role.SERIAL):
                raise WordedValueError("config_words.map_string_role", field=self.name)
        elif self.role in (Role.SAMPLE_ID, Role.SERIAL):
            # numeric sample ids are allowed (printed as integers)
            pass
        if self.indicator is not None and self.role is not Role.VALUE:
            raise WordedValueError("config_words.map_indicator_role", field=self.name)
        if self.scale == 0:
            raise WordedValueError("config_words.map_scale_zero", field=self.name)
        return self

    @property
    def count(self) -> int:
        return register_count(self.type, self.length)

    @property
    def end(self) -> int:
        return self.address + self.count


class StatusBits(_Strict):
    """Names of the bits of the status word; ``fault`` bits make a result suspect."""

    field: str
    bits: dict[str, str] = Field(default_factory=dict)  # bit number -> name
    fault: list[str] = Field(default_factory=list)

    @field_validator("bits")
    @classmethod
    def _bit_numbers(cls, v: dict[str, str]) -> dict[str, str]:
        for k in v:
            if not k.isdigit() or not 0 <= int(k) <= 31:
                raise WordedValueError("config_words.map_status_bit", bit=k)
        return v


class RegisterMap(_Strict):
    """One analyzer model's register map."""

    format: Literal[1] = 1
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str = Field(min_length=1)
    device: Device
    transport: Transport = Transport()
    ready_clear: StrictBool = Field(
        False, description="write 0 to the ready register after reading"
    )
    sample_id_entry: Literal["none", "keypad", "scanner"] = Field(
        "none",
        description="how the operator gives the analyzer the gateway's sample id; 'none': "
        "the analyzer numbers samples itself (its sample_id field is its own number)",
    )
    status: StatusBits | None = None
    block: list[Block] = Field(default_factory=list)
    field: list[Field_] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> RegisterMap:
        names: set[str] = set()
        roles: dict[Role, str] = {}
        indicators: set[str] = set()
        for f in self.field:
            if f.name in names:
                raise WordedValueError("config_words.map_name_twice", field=f.name)
            names.add(f.name)
            if f.role is not Role.VALUE:
                if f.role in roles:
                    raise WordedValueError("config_words.map_role_twice", role=f.role.value)
                roles[f.role] = f.name
            if f.indicator:
                if f.indicator in indicators:
                    raise WordedValueError(
                        "config_words.map_indicator_twice", indicator=f.indicator
                    )
                indicators.add(f.indicator)
            if f.end > 65536:
                raise WordedValueError("config_words.map_past_end", field=f.name)
            if self.block and not any(_inside(b, f) for b in self.block):
                raise WordedValueError("config_words.map_outside_blocks", field=f.name)
        if Role.SEQUENCE not in roles and Role.READY not in roles:
            raise WordedValueError("config_words.map_needs_trigger")
        if self.ready_clear and Role.READY not in roles:
            raise WordedValueError("config_words.map_ready_clear")
        if self.sample_id_entry != "none":
            sid = self.role(Role.SAMPLE_ID)
            if sid is None or sid.type is not DataType.STRING:
                raise WordedValueError(
                    "config_words.map_sample_id_entry", entry=self.sample_id_entry
                )
        if self.status is not None:
            st = next((f for f in self.field if f.name == self.status.field), None)
            if st is None or st.role is not Role.STATUS:
                raise WordedValueError("config_words.map_status_field", field=self.status.field)
            for name in self.status.fault:
                if name not in self.status.bits.values():
                    raise WordedValueError("config_words.map_fault_bit", bit=name)
        elif Role.STATUS in roles:
            raise WordedValueError("config_words.map_status_table")
        if not indicators:
            raise WordedValueError("config_words.map_no_indicator")
        _no_overlap(self.field)
        return self

    def role(self, role: Role) -> Field_ | None:
        return next((f for f in self.field if f.role is role), None)

    @property
    def carries_sample_id(self) -> bool:
        """True when results carry the sample id the operator typed or scanned at the analyzer."""
        return self.sample_id_entry != "none"

    @property
    def sample_id_chars(self) -> int:
        """The longest sample id the analyzer keeps (0: none)."""
        f = self.role(Role.SAMPLE_ID)
        return 2 * f.length if f is not None and f.type is DataType.STRING else 0

    @property
    def counter_max(self) -> int | None:
        """The largest value of the sequence counter (it then wraps), or None without one."""
        f = self.role(Role.SEQUENCE)
        return None if f is None else counter_max(f.type)

    @cached_property
    def values(self) -> list[Field_]:
        return [f for f in self.field if f.role is Role.VALUE]

    def block_of(self, f: Field_) -> Block | None:
        return next((b for b in self.block if _inside(b, f)), None)


def _no_overlap(fields: list[Field_]) -> None:
    """Two fields on the same registers would decode one word as two values."""
    order = sorted(range(len(fields)), key=lambda i: (fields[i].table, fields[i].address))
    for prev, cur in pairwise(order):
        a, b = fields[prev], fields[cur]
        if a.table is b.table and b.address < a.end:
            raise FieldError(
                ("field", cur, "address"),
                f"field {b.name!r} ({b.table.value} {b.address}..{b.end - 1}) overlaps "
                f"field {a.name!r} ({a.address}..{a.end - 1})",
            )


def _inside(b: Block, f: Field_) -> bool:
    return b.table is f.table and b.start <= f.address and f.end <= b.start + b.count


def load_map(path: Path | str) -> RegisterMap:
    """Load and validate a map; a bad file raises DataFileError (file, line, field)."""
    return load_model(Path(path), RegisterMap)


def shipped_maps() -> dict[str, Path]:
    """The maps shipped with coalguard, by file stem."""
    return {p.stem: p for p in sorted(MAPS_DIR.glob("*.toml"))}


def resolve_map(name: str) -> RegisterMap:
    """A path, or the stem of a shipped map (``scantech-coalscan-9500x``)."""
    p = Path(name)
    if p.suffix == ".toml" or p.exists():
        return load_map(p)
    maps = shipped_maps()
    if name in maps:
        return load_map(maps[name])
    raise DataFileError(name, f"no such register map file or shipped map ({', '.join(maps)})")
