"""The watch list: plates a checkpoint should look at twice, one model for both sides.

The cloud serves it as a TOML file (``[[plate]]`` tables) that the gateway
pulls and caches like the fast-pass list, so arrivals are highlighted with the
uplink down. An entry is either put there by a region's office (``listed``,
with its reason) or a plate turned back at a checkpoint of the region
(``turned_back``, how often in the window and where last).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from coalguard.edge import listfile
from coalguard.edge.plates import normalize_plate

FORMAT = 1


class WatchedPlate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str = Field(min_length=2, max_length=16)
    source: Literal["listed", "turned_back"]
    reason: str = Field(default="", max_length=200, description="the office's words (listed)")
    at: AwareDatetime = Field(description="listed since, or last turned back (UTC)")
    times: int = Field(default=1, ge=1, description="turn-backs in the window (turned_back)")
    checkpoint_id: str = Field(default="", max_length=64, description="where last turned back")
    checkpoint: str = Field(default="", max_length=200, description="its name")

    @field_validator("plate")
    @classmethod
    def _norm(cls, v: str) -> str:
        return normalize_plate(v)


class WatchList(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    format: int = Field(default=FORMAT, ge=1, le=FORMAT)
    version: str = Field(min_length=1)
    days: int = Field(ge=1, description="the window of the turned-back entries")
    plates: list[WatchedPlate] = Field(default_factory=list, alias="plate")


def to_toml(wl: WatchList, comment: str = "") -> str:
    return listfile.dump(wl, comment)


def parse_toml(text: str, source: str) -> WatchList:
    return listfile.parse(text, source, WatchList)
