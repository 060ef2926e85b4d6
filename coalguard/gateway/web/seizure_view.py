"""The zone list and a truck's destination check, in the operator's words (R22, 查扣)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coalguard.edge.clock import local_text
from coalguard.gateway.service import Gateway
from coalguard.gateway.stored_time import parse_iso
from coalguard.i18n import t


def zone_text(zone: dict[str, Any] | None, lang: str) -> str:
    """What the zone list said of the declared destination village (its zone, publish date)."""
    if not zone:
        return t("seizure.not_declared", lang)
    kind = zone.get("kind")
    words = {
        "village": zone["village"],
        "name": zone.get("name") or zone["village"],
        "kind": t(f"zones.kind_{kind}", lang) if kind else "",
        "published_on": zone.get("published_on", ""),
        "list_version": zone.get("list_version", ""),
    }
    return t(f"seizure.{zone['status']}", lang).format_map(words)


def _age(loaded: datetime, now: datetime, lang: str) -> str:
    minutes = max(0, int((now - loaded).total_seconds() // 60))
    if minutes < 120:
        return t("seizure.age_minutes", lang).format(n=minutes)
    return t("seizure.age_hours", lang).format(n=minutes // 60)


def zone_list_text(gw: Gateway, lang: str) -> str:
    """The cached list's version, size and age (none yet: destinations are not checked)."""
    version, loaded = gw.zones.version(), gw.zones.loaded_at()
    if version is None or loaded is None:
        return t("seizure.list_none", lang)
    return t("seizure.list_loaded", lang).format(
        version=version,
        count=gw.zones.count(),
        loaded_at=local_text(loaded, "%Y-%m-%d %H:%M"),
        age=_age(parse_iso(loaded), gw.clock.now(), lang),
    )
