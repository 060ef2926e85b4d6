"""Realistic sample results per coal type, with each indicator's measurement noise.

A sample is drawn on the air-dried basis (the lot's spread, then the
analyzer's noise) and any other symbol a register map asks for is derived
with the quality engine's own basis conversions, so the numbers agree.
"""

from __future__ import annotations

import random
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from coalguard.datafile import Integer, Number, load_model
from coalguard.edge.quality.basis import Converter, Derived

COALS_FILE = Path(__file__).with_name("coals.toml")
_BASE = ("Mt", "Mad", "Aad", "Vad", "St_ad", "Qgr_ad", "Had")


class CoalType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    note: str = ""
    weight: Number = Field(1.0, gt=0)
    mean: dict[str, Number]
    sd: dict[str, Number]


class CoalTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Integer = 1
    noise: dict[str, Number]
    coal: list[CoalType] = Field(min_length=1)


def load_coals(path: Path = COALS_FILE) -> CoalTable:
    return load_model(path, CoalTable)


class SampleSource:
    """Draws sample results; seeded for reproducible runs."""

    def __init__(
        self, seed: int | None = None, coal: str | None = None, table: CoalTable | None = None
    ):
        self.table = table or load_coals()
        self.rng = random.Random(seed)
        names = [c.name for c in self.table.coal]
        if coal is not None and coal not in names:
            raise ValueError(f"unknown coal type {coal!r} (known: {', '.join(names)})")
        self.only = coal

    def draw(self, symbols: list[str]) -> tuple[str, dict[str, float]]:
        """(coal type, value of each requested symbol in canonical units)."""
        coals = [c for c in self.table.coal if self.only in (None, c.name)]
        coal = self.rng.choices(coals, weights=[c.weight for c in coals])[0]
        base: dict[str, float] = {}
        for s in _BASE:
            v = self.rng.gauss(coal.mean[s], coal.sd.get(s, 0.0))
            v += self.rng.gauss(0.0, self.table.noise.get(s, 0.0))
            base[s] = max(0.01, v)
        base["Mt"] = max(base["Mt"], base["Mad"] + 0.5)
        conv = Converter(base)
        out: dict[str, float] = {}
        for s in symbols:
            d = conv.get(s)
            out[s] = round(d.value, 4) if isinstance(d, Derived) else 0.0
        return coal.name, out
