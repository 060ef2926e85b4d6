"""Zones (R22): 禁煤区 / 禁燃区 / 散煤清零区 as versioned lists of villages (or areas)
with the fuels allowed and a publish date. The sales checks ask ``zone_for``;
issue 16 extends this home (households told, patrols)."""

from coalguard.cloud.zones.lists import (
    KINDS,
    ZoneEntry,
    ZoneError,
    fuel_allowed,
    parse_csv,
    publish,
    zone_for,
)
from coalguard.cloud.zones.tables import ZoneArea, ZoneList

__all__ = [
    "KINDS",
    "ZoneArea",
    "ZoneEntry",
    "ZoneError",
    "ZoneList",
    "fuel_allowed",
    "parse_csv",
    "publish",
    "zone_for",
]
