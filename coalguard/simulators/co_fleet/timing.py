"""The simulated alarm's decision: EN 50291-1 timing as data (``en50291.toml``)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coalguard.datafile import Integer, Number, load_model
from coalguard.drivers.co_alarm import AlarmLevel

DEFAULT_TIMING = Path(__file__).with_name("en50291.toml")


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ppm: Number = Field(gt=0)
    no_alarm_before_min: Number | None = None
    alarm_after_min: Number | None = None
    alarm_before_min: Number | None = None


class CurvePoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ppm: Number = Field(gt=0)
    alarm_after_min: Number = Field(gt=0)


class Timing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Integer
    standard: str
    warning_fraction: Number = Field(gt=0, lt=1)
    clear_below_ppm: Number = Field(gt=0)
    recovery_min: Number = Field(gt=0)
    min_alarm_min: Number = Field(gt=0)
    requirement: list[Requirement]
    curve: list[CurvePoint] = Field(min_length=2)

    @model_validator(mode="after")
    def _monotone(self) -> Timing:
        ppm = [p.ppm for p in self.curve]
        mins = [p.alarm_after_min for p in self.curve]
        if ppm != sorted(ppm) or mins != sorted(mins, reverse=True):
            raise ValueError("curve must rise in ppm and fall in alarm_after_min")
        return self

    def minutes_to_alarm(self, ppm: float) -> float:
        """T(C): minutes at a constant ``ppm`` until the alarm sounds (inf: never)."""
        pts = self.curve
        if ppm < pts[0].ppm:
            return math.inf
        for a, b in itertools.pairwise(pts):
            if ppm <= b.ppm:
                return _loglog(a, b, ppm)
        return max(self.min_alarm_min, _loglog(pts[-2], pts[-1], ppm))


def _loglog(a: CurvePoint, b: CurvePoint, ppm: float) -> float:
    slope = math.log(b.alarm_after_min / a.alarm_after_min) / math.log(b.ppm / a.ppm)
    return a.alarm_after_min * (ppm / a.ppm) ** slope


@lru_cache(maxsize=4)
def load_timing(path: Path = DEFAULT_TIMING) -> Timing:
    return load_model(path, Timing)


@dataclass
class AlarmLogic:
    """One alarm's dose integrator; ``step`` returns the level after ``dt_min`` at ``ppm``."""

    timing: Timing
    dose: float = 0.0
    level: AlarmLevel = AlarmLevel.NONE

    def step(self, ppm: float, dt_min: float) -> AlarmLevel:
        t = self.timing.minutes_to_alarm(ppm)
        if math.isfinite(t):
            self.dose += dt_min / t
        else:
            self.dose = max(0.0, self.dose - dt_min / self.timing.recovery_min)
        if self.level is AlarmLevel.ALARM:
            if ppm < self.timing.clear_below_ppm:
                self.level = AlarmLevel.NONE
                self.dose = min(self.dose, self.timing.warning_fraction * 0.99)
        elif self.dose >= 1.0:
            self.level = AlarmLevel.ALARM
        elif self.dose >= self.timing.warning_fraction:
            self.level = AlarmLevel.WARNING
        else:
            self.level = AlarmLevel.NONE
        return self.level
