"""The fast-pass list (R11): one model the cloud writes and the gateway reads.

The cloud serves the list as a TOML file (``[[truck]]`` tables) that the
gateway pulls or an operator copies to the checkpoint PC; both sides go
through this module, so a field changed on one side changes on the other.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, field_validator

from coalguard.datafile import load_model, validate
from coalguard.edge.plates import normalize_plate
from coalguard.errors import DataFileError


class FastPassTruck(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str = Field(min_length=2, max_length=16)
    company: str = Field(min_length=1)
    report_id: str = Field(min_length=1, description="the valid coal quality report")
    expires: date = Field(description="last day the report is valid (local date)")

    @field_validator("plate")
    @classmethod
    def _norm(cls, v: str) -> str:
        return normalize_plate(v)


class FastPassList(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    version: str = Field(min_length=1)
    trucks: list[FastPassTruck] = Field(default_factory=list, alias="truck")


def to_toml(fl: FastPassList, comment: str = "") -> str:
    """The list as the gateway's file; ``comment`` becomes its first line."""
    head = f"# {' '.join(comment.split())}\n" if comment else ""
    return head + tomli_w.dumps(fl.model_dump(by_alias=True))


def parse_toml(text: str, source: str) -> FastPassList:
    """A list from TOML text; errors name ``source``, line and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, f"TOML syntax: {exc}") from None
    return validate(Path(source), text, data, FastPassList)


def load_file(path: Path) -> FastPassList:
    """A list from the checkpoint's own file (the fallback when the cloud is unreachable)."""
    return load_model(Path(path), FastPassList)
