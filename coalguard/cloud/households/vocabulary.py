"""The register's vocabulary as data (``vocabulary.toml``), loaded once.

Categories, heating routes, stove types and acceptance states are keys in a
versioned file, never constants in code; a bad file is refused naming the file
and field (``datafile.load_model``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coalguard.datafile import load_model

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.toml")


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    categories: list[str] = Field(min_length=1)
    coal_categories: list[str]
    heating_routes: list[str] = Field(min_length=1)
    clean_coal_routes: list[str]
    stove_types: list[str] = Field(min_length=1)
    matched_stove: str
    acceptance_states: list[str] = Field(min_length=1)

    @field_validator("categories", "heating_routes", "stove_types", "acceptance_states")
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
            ("coal_categories", self.coal_categories, self.categories),
            ("clean_coal_routes", self.clean_coal_routes, self.heating_routes),
            ("matched_stove", [self.matched_stove], self.stove_types),
        ):
            extra = set(part) - set(whole)
            if extra:
                raise ValueError(f"{name} names unknown keys: {', '.join(sorted(extra))}")
        return self


@cache
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """The vocabulary file, validated (cached: loaded once per process)."""
    return load_model(path, Vocabulary)
