"""Repeatability limits r by quantity and level, loaded from repeatability.toml."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from coalguard.datafile import Number, load_model

FILE = Path(__file__).with_name("repeatability.toml")


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upto: Number | None = None
    r: Number = Field(ge=0)


class QuantityTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str
    inclusive: StrictBool = False
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _last_is_open(self) -> QuantityTable:
        if self.steps[-1].upto is not None:
            raise ValueError("the last step must have no 'upto' (it covers all higher levels)")
        return self

    def at(self, level: float) -> float:
        for step in self.steps:
            if step.upto is None:
                return step.r
            if level < step.upto or (self.inclusive and math.isclose(level, step.upto)):
                return step.r
        return self.steps[-1].r  # pragma: no cover - guarded by the validator


class RepeatabilityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    quantity: dict[str, QuantityTable]


@lru_cache(maxsize=1)
def table() -> RepeatabilityFile:
    return load_model(FILE, RepeatabilityFile)


def repeatability(quantity: str, level: float) -> tuple[float, str] | None:
    """r for ``quantity`` (``Mt``, ``Mad``, ``A``, ``V``, ``St``, ``Qgr``, ``Qnet``) at ``level``.

    ``level`` is the value on the air-dried basis (as the methods state it).
    Returns (r, method) or None when no table exists for the quantity.
    """
    t = table().quantity.get(quantity)
    if t is None:
        return None
    return t.at(level), t.method
