"""The market's vocabulary and calendar as data (``vocabulary.toml``), loaded once.

Kinds of point, statuses, facilities, zone flags, the campaign calendar and the
re-check deadline are keys in a versioned file, never constants in code; a
bad file is refused naming the file and field (``datafile.load_model``).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coalguard.datafile import Integer, load_model

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.toml")
_MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class Phase(BaseModel):
    """One phase of the campaign year, from ``start`` to ``end`` (month-day, inclusive)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z_]+$")
    start: str = Field(pattern=_MONTH_DAY)
    end: str = Field(pattern=_MONTH_DAY)

    def span(self, year: int) -> tuple[date, date]:
        return _day(year, self.start), _day(year, self.end)


class Calendar(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    plan_due: str = Field(pattern=_MONTH_DAY)
    phases: list[Phase] = Field(min_length=1)

    def plan_due_on(self, year: int) -> date:
        return _day(year, self.plan_due)

    def phase(self, phase_id: str) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)

    def phase_on(self, day: date) -> Phase | None:
        """The phase ``day`` falls in (None: before the plan's season or between phases)."""
        for p in self.phases:
            start, end = p.span(day.year)
            if start <= day <= end:
                return p
        return None

    def season(self, year: int) -> tuple[date, date]:
        """From the first phase's start to the last one's end."""
        return self.phases[0].span(year)[0], self.phases[-1].span(year)[1]


class Deadlines(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    recheck_days: Integer = Field(ge=1, le=366)
    sample_grace_days: Integer = Field(ge=0, le=366)


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    kinds: list[str] = Field(min_length=1)
    sales_kinds: list[str]
    producer_kinds: list[str]
    statuses: list[str] = Field(min_length=1)
    trading_statuses: list[str]
    pending_changes: list[str]
    facilities: list[str]
    zones: list[str]
    calendar: Calendar
    deadlines: Deadlines

    @field_validator("kinds", "statuses", "facilities", "zones", "pending_changes")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        for k in v:
            if not k.replace("_", "").isalpha() or not k.islower():
                raise ValueError(f"{k!r} is not a lower-case key")
        if len(set(v)) != len(v):
            raise ValueError("a key is listed twice")
        return v

    @model_validator(mode="after")
    def _subsets(self) -> Vocabulary:
        for name, part, whole in (
            ("sales_kinds", self.sales_kinds, self.kinds),
            ("producer_kinds", self.producer_kinds, self.kinds),
            ("trading_statuses", self.trading_statuses, self.statuses),
        ):
            extra = set(part) - set(whole)
            if extra:
                raise ValueError(f"{name} names unknown keys: {', '.join(sorted(extra))}")
        for needed in ("trading", "dormant", "rectifying", "shut"):
            if needed not in self.statuses:
                raise ValueError(f"statuses must include {needed!r}")
        return self


def _day(year: int, month_day: str) -> date:
    month, day = (int(x) for x in month_day.split("-"))
    return date(year, month, day)


@cache
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """The vocabulary file, validated (cached: loaded once per process)."""
    return load_model(path, Vocabulary)
