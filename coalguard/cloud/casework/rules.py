"""The casework rules file (``rules.toml``): tip channels, reward moves, ledger levels
and the escalation rule with its citation, validated once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coalguard.datafile import FieldError, Integer, load_model

DEFAULT_RULES = Path(__file__).with_name("rules.toml")
ESCALATION_FLAGS = ("major", "joint")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reward(_Strict):
    statuses: list[str] = Field(min_length=1)
    moves: dict[str, list[str]]

    @model_validator(mode="after")
    def _known(self) -> Reward:
        for src, targets in self.moves.items():
            for name in (src, *targets):
                if name not in self.statuses:
                    raise FieldError(("moves", src), f"{name!r} is not a reward status")
        return self


class Level(_Strict):
    name: str = Field(pattern=r"^[a-z]{2,16}$")
    digits: Integer = Field(ge=2, le=12)


class Escalation(_Strict):
    when: list[str]
    levels_up: Integer = Field(ge=1, le=3)
    citation: str = Field(min_length=1)

    @model_validator(mode="after")
    def _flags(self) -> Escalation:
        for i, flag in enumerate(self.when):
            if flag not in ESCALATION_FLAGS:
                raise FieldError(("when", i), f"{flag!r} is not one of {ESCALATION_FLAGS}")
        return self


class CaseworkRules(_Strict):
    version: str = Field(min_length=1, max_length=32)
    channels: list[str] = Field(min_length=1)
    reward: Reward
    level: list[Level] = Field(min_length=2)
    escalation: Escalation

    @model_validator(mode="after")
    def _levels(self) -> CaseworkRules:
        digits = [lv.digits for lv in self.level]
        if digits != sorted(digits, reverse=True) or len(set(digits)) != len(digits):
            raise FieldError(("level",), "levels go from the longest code to the shortest")
        return self

    def level_of(self, region_code: str) -> str | None:
        return next((lv.name for lv in self.level if lv.digits == len(region_code)), None)

    def parent(self, region_code: str, up: int = 1) -> tuple[str, str] | None:
        """The region ``up`` levels above ``region_code`` and its level (None: the top)."""
        names = [lv.name for lv in self.level]
        here = self.level_of(region_code)
        if here is None or names.index(here) + up >= len(names):
            return None
        lv = self.level[names.index(here) + up]
        return region_code[: lv.digits], lv.name

    def goes_up(self, *, major: bool, joint: bool) -> bool:
        flags = {"major": major, "joint": joint}
        return any(flags[f] for f in self.escalation.when)


@lru_cache(maxsize=4)
def load_casework_rules(path: Path = DEFAULT_RULES) -> CaseworkRules:
    """The rules file, validated (cached: read once per process)."""
    return load_model(path, CaseworkRules)
