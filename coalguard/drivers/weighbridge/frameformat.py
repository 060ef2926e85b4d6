"""Frame formats of weighing indicators: one TOML data file per format, validated at load.

A format says how frames are cut from the byte stream (start, end, length), what
a frame's text looks like (a regular expression with named groups: ``sign``,
``value`` or ``digits`` + ``decimals``, and where the format has them ``status``,
``mode``, ``unit``, ``check``), what the words mean, and how the simulator writes
one. Files live in ``formats/``; their comments cite the manuals they follow.
Format: ``docs/weighbridge.md``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coalguard.datafile import FieldError, Integer, load_model
from coalguard.errors import DataFileError

FORMATS_DIR = Path(__file__).resolve().parent / "formats"
Unit = Literal["kg", "t", "g", "lb"]
KG_PER: dict[str, Decimal] = {
    "kg": Decimal(1),
    "t": Decimal(1000),
    "g": Decimal("0.001"),
    "lb": Decimal("0.45359237"),
}
Status = Literal["stable", "unstable", "overload", "underload"]
Mode = Literal["gross", "net"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FrameSpec(_Strict):
    """How a frame is cut from the stream and what its text must match."""

    start: str = ""
    end: str = ""
    length: Integer | None = Field(None, ge=1, le=256)  # body bytes, when fixed
    max_length: Integer = Field(64, ge=1, le=1024)
    reversed: bool = False
    pattern: str
    overload: str | None = None
    checksum: Literal["none", "xor-hex"] = "none"

    @model_validator(mode="after")
    def _delimited(self) -> FrameSpec:
        for name in ("pattern", "overload"):
            try:
                re.compile(getattr(self, name) or "")
            except re.error as exc:
                raise FieldError((name,), f"not a regular expression: {exc}") from None
        if not self.end and not (self.start and self.length):
            raise FieldError(("end",), "a frame needs an end, or a start and a length")
        groups = set(re.compile(self.pattern).groupindex)
        if "value" not in groups and "digits" not in groups:
            raise FieldError(("pattern",), "the pattern needs a 'value' or 'digits' group")
        if (self.checksum != "none") != ("check" in groups):
            raise FieldError(("pattern",), "a 'check' group goes with a checksum, and only then")
        return self


class Words(_Strict):
    """What the frame's words mean."""

    sign: dict[str, Literal["+", "-"]] = Field(default_factory=lambda: {"+": "+", "-": "-"})
    status: dict[str, Status] = Field(default_factory=dict)
    mode: dict[str, Mode] = Field(default_factory=dict)
    unit: dict[str, Unit] = Field(default_factory=dict)


class EncodeSpec(_Strict):
    """How the simulator writes a frame (the inverse of ``frame``)."""

    template: str
    width: Integer = Field(ge=1, le=16)


class FrameFormat(_Strict):
    """One indicator output format (a file of ``formats/``)."""

    format: Literal[1]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    title: str
    models: list[str] = Field(default_factory=list)
    default_unit: Unit = "kg"
    baudrate: Integer = Field(9600, ge=300, le=115200)
    frame: FrameSpec
    words: Words = Field(default_factory=Words)
    encode: EncodeSpec

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.frame.pattern)

    @cached_property
    def overload_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.frame.overload) if self.frame.overload else None

    @property
    def has_stable_flag(self) -> bool:
        """Whether the indicator says itself when the weight stands still (ST/US)."""
        return "status" in self.regex.groupindex


def shipped_formats() -> list[str]:
    """Ids of the formats that ship with coalguard."""
    return sorted(p.stem for p in FORMATS_DIR.glob("*.toml"))


def load_format(path: Path) -> FrameFormat:
    """A format file, validated (a bad file names file, line and field)."""
    return load_model(path, FrameFormat)


def resolve_format(name: str) -> FrameFormat:
    """A shipped format by id, or a format file by path."""
    path = Path(name)
    if path.suffix != ".toml":
        path = FORMATS_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(shipped_formats())
        raise DataFileError(str(path), f"no such frame format (shipped: {known})")
    return load_format(path)
