"""The fast-pass list (R11): one model the cloud writes and the gateway reads.

The cloud serves the list as a TOML file (``[[truck]]`` tables) that the
gateway pulls or an operator copies to the checkpoint PC; both sides go
through this module, so a field changed on one side changes on the other.

Format 2 carries what the green lane checks besides the plate: the report's
coal type, validity window and the quantity it still covers. A format-1 file
(no ``format`` key) still reads; its trucks lack those fields, and the
gateway sends them to normal inspection rather than pass what it cannot check.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coalguard.datafile import load_model
from coalguard.edge import listfile
from coalguard.edge.plates import normalize_plate

FORMAT = 2
# Fields a format-2 truck must carry (a format-1 truck has none of them).
CHECKED_FIELDS = ("coal_type", "valid_from", "quantity_t")


class FastPassTruck(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str = Field(min_length=2, max_length=16)
    company: str = Field(min_length=1, description="the consigning company the report names")
    report_id: str = Field(min_length=1, description="the valid coal quality report")
    expires: date = Field(description="last day the report is valid (local date)")
    coal_type: str | None = Field(default=None, min_length=1, description="format 2")
    valid_from: date | None = Field(default=None, description="first valid day; format 2")
    quantity_t: float | None = Field(
        default=None, ge=0, description="tonnes the report still covers; format 2"
    )

    @field_validator("plate")
    @classmethod
    def _norm(cls, v: str) -> str:
        return normalize_plate(v)

    def checkable(self) -> bool:
        """Whether the entry carries every field the green lane checks."""
        return all(getattr(self, f) is not None for f in CHECKED_FIELDS)


class FastPassList(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    format: int = Field(default=1, ge=1, le=FORMAT, description="absent in format-1 files")
    version: str = Field(min_length=1)
    trucks: list[FastPassTruck] = Field(default_factory=list, alias="truck")

    @model_validator(mode="after")
    def _complete(self) -> FastPassList:
        if self.format >= 2:
            for i, t in enumerate(self.trucks):
                missing = [f for f in CHECKED_FIELDS if getattr(t, f) is None]
                if missing:
                    raise ValueError(f"truck {i + 1} ({t.plate}): missing {', '.join(missing)}")
        return self


def same_company(declared: str, listed: str) -> bool:
    """One company however it was typed: full/half width, spaces and letter case aside."""
    return _company_key(declared) == _company_key(listed)


def _company_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def to_toml(fl: FastPassList, comment: str = "") -> str:
    """The list as the gateway's file; ``comment`` becomes its first line."""
    return listfile.dump(fl, comment)


def parse_toml(text: str, source: str) -> FastPassList:
    """A list from TOML text; errors name ``source``, line and field."""
    return listfile.parse(text, source, FastPassList)


def load_file(path: Path) -> FastPassList:
    """A list from the checkpoint's own file (the fallback when the cloud is unreachable)."""
    return load_model(Path(path), FastPassList)
