"""The zone list a checkpoint pulls (R22): which villages lie in which zone, for both sides.

The cloud serves the current zone lists of the checkpoint's area as one TOML
file (``[[village]]`` tables); the gateway pulls and caches it like the
watch list, so a truck's declared destination is checked with the uplink
down. An entry's ``code`` is a village (12 digits) or an area (a shorter
prefix): the longest listed prefix of a destination code is its zone.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from coalguard.edge import listfile

FORMAT = 1
# 禁煤区 / 禁燃区 / 散煤清零区 / 气代煤 / 电代煤 areas
KINDS = ("no_coal", "no_burn", "loose_coal_cleared", "gas_conversion", "electricity_conversion")
# A code the operator may type: a village (12 digits) or an area prefix (6-12).
CODE_PATTERN = r"^[0-9]{6,12}$"


class ZonedVillage(BaseModel):
    """One listed village or area, with its zone, fuels allowed and the list it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(default="", max_length=200)
    kind: str = Field(pattern="^(" + "|".join(KINDS) + ")$")
    allowed_fuels: tuple[str, ...] = ()
    published_on: date
    list_version: str = Field(min_length=1, max_length=64)


class ZoneList(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    format: int = Field(default=FORMAT, ge=1, le=FORMAT)
    version: str = Field(min_length=1)
    villages: list[ZonedVillage] = Field(default_factory=list, alias="village")


def to_toml(zl: ZoneList, comment: str = "") -> str:
    return listfile.dump(zl, comment)


def parse_toml(text: str, source: str) -> ZoneList:
    return listfile.parse(text, source, ZoneList)
