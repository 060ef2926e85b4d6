"""Patrol rhythms as data (``frequency.toml``): how often each grid must be patrolled.

Per region code prefix, the longest matching prefix wins (as ``co/escalation.py``);
``""`` is the default. Each rule gives a grid level, optionally the member role whose
patrols count and whether it holds only where there is no video/infrared cover.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coalguard.datafile import FieldError, Integer, load_model

DEFAULT_FREQUENCY = Path(__file__).with_name("frequency.toml")
GRID_ROLES = ("leader", "worker", "committee", "inspector")
GridRole = Literal["leader", "worker", "committee", "inspector"]
Level = Literal["village", "township", "county"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """One rhythm: grids of ``level`` patrolled (by ``role``, if given) every ``every_days``."""

    level: Level
    every_days: Integer = Field(ge=1, le=366)
    role: GridRole | None = None
    without_video_cover: bool = False

    @property
    def every(self) -> timedelta:
        return timedelta(days=self.every_days)

    @property
    def key(self) -> str:
        """Names the rule within its jurisdiction (an alert's subject)."""
        cover = "-nocover" if self.without_video_cover else ""
        return f"{self.level}/{self.role or 'any'}/{self.every_days}d{cover}"


class Jurisdiction(_Strict):
    region_prefix: str = Field(pattern=r"^[0-9]{0,12}$")
    name: str = Field(min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=300)
    rule: list[Rule] = Field(min_length=1)


class FrequencyPolicy(_Strict):
    jurisdiction: list[Jurisdiction] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_and_unique(self) -> FrequencyPolicy:
        prefixes = [j.region_prefix for j in self.jurisdiction]
        for i, p in enumerate(prefixes):
            if p in prefixes[:i]:
                raise FieldError(("jurisdiction", i, "region_prefix"), f"{p!r} appears twice")
        if "" not in prefixes:
            raise FieldError(("jurisdiction",), 'a region_prefix = "" (the default) is required')
        return self

    def jurisdiction_of(self, region_code: str) -> Jurisdiction:
        """The longest region prefix matching ``region_code``."""
        return max(
            (j for j in self.jurisdiction if region_code.startswith(j.region_prefix)),
            key=lambda j: len(j.region_prefix),
        )

    def rules_for(self, region_code: str, level: str, video_cover: bool) -> list[Rule]:
        """The rhythms a grid of ``level`` at ``region_code`` must keep."""
        rules = self.jurisdiction_of(region_code).rule
        return [
            r for r in rules if r.level == level and (not r.without_video_cover or not video_cover)
        ]


def load_frequency(path: Path | None = None) -> FrequencyPolicy:
    """Load and validate a frequency file (the shipped one when ``path`` is None)."""
    return load_model(path or DEFAULT_FREQUENCY, FrequencyPolicy)


@cache
def shipped_frequency() -> FrequencyPolicy:
    return load_frequency()
