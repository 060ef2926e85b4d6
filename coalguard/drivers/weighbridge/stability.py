"""Is the weight standing still? The indicator's own flag, else readings held steady.

A ticket takes only a stable weight. Formats with a status word (ST/US) say it
themselves; for the rest a run of readings within ± d for T seconds (data:
``stability.toml``) is stable. Overloads, sign changes of mode and gaps in the
stream break a run.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coalguard.datafile import Integer, Number, load_model
from coalguard.drivers.weighbridge.frames import Reading

STABILITY_FILE = Path(__file__).resolve().parent / "stability.toml"


class StabilityRule(BaseModel):
    """± ``tolerance_kg`` for ``window_s`` seconds, at least ``min_readings`` readings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[1] = 1
    tolerance_kg: Number = Field(gt=0, le=1000)
    window_s: Number = Field(gt=0, le=60)
    min_readings: Integer = Field(2, ge=2, le=1000)


def load_rule(path: Path | None = None) -> StabilityRule:
    """The shipped rule, or a station's own file."""
    return load_model(path or STABILITY_FILE, StabilityRule)


class Stability:
    """Follows readings and says whether the latest one is stable."""

    def __init__(self, rule: StabilityRule, device_flag: bool, gap_s: float = 1.0) -> None:
        self.rule = rule
        self.device_flag = device_flag  # use the indicator's ST/US when it has one
        self.gap_s = gap_s  # a longer silence breaks a run
        self._ref: Decimal | None = None
        self._since = 0.0
        self._last = 0.0
        self._count = 0

    def reset(self) -> None:
        self._ref = None
        self._count = 0

    def observe(self, reading: Reading, mono: float) -> bool:
        """Whether ``reading`` (read at monotonic time ``mono``) is a stable weight."""
        kg = reading.kg
        if reading.overload or kg is None:
            self.reset()
            return False
        if self.device_flag:
            return bool(reading.stable)
        tol = Decimal(str(self.rule.tolerance_kg))
        broken = self._ref is None or abs(kg - self._ref) > tol or mono - self._last > self.gap_s
        self._last = mono
        if broken:
            self._ref, self._since, self._count = kg, mono, 1
            return False
        self._count += 1
        return mono - self._since >= self.rule.window_s and self._count >= self.rule.min_readings
