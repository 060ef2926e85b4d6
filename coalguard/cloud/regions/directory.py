"""The region directory in memory: the shipped file merged with the imported rows.

Codes are the prefixes of the 12-digit administrative code: province 2 digits,
city 4, county 6 (GB/T 2260), township 9, village 12 (statistical codes). A
region's parent is its code cut to the level above. Lookups are plain dict reads
(templates call them per row); ``refresh`` reloads the imported rows after an
import and at the app's start.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.regions.tables import RegionRow

SHIPPED = Path(__file__).with_name("regions.csv")
# Code length -> level, and the length of the parent's code.
LEVELS = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}
PARENT_DIGITS = {4: 2, 6: 4, 9: 6, 12: 9}


@dataclass(frozen=True)
class Region:
    """One region: its code, level, names (English may be missing) and parent's code."""

    code: str
    name_zh: str
    name_en: str | None = None

    @property
    def level(self) -> str:
        return LEVELS[len(self.code)]

    @property
    def parent(self) -> str | None:
        return parent_code(self.code)

    def name(self, lang: str) -> str:
        return (self.name_en or self.name_zh) if lang == "en" else self.name_zh


def parent_code(code: str) -> str | None:
    """The code of the region one level up (None for a province or a code of no level)."""
    n = PARENT_DIGITS.get(len(code))
    return code[:n] if n else None


def read_csv(path: Path) -> dict[str, Region]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {
            r["code"]: Region(r["code"], r["name_zh"], r.get("name_en") or None)
            for r in csv.DictReader(f)
        }


@lru_cache(maxsize=1)
def shipped() -> dict[str, Region]:
    """The regions the project ships (``regions.csv``)."""
    return read_csv(SHIPPED)


_imported: dict[str, Region] = {}


def refresh(sessions: sessionmaker) -> None:
    """Reload the imported regions from the database (they override the shipped names)."""
    with sessions() as s:
        rows = s.scalars(select(RegionRow))
        loaded = {r.code: Region(r.code, r.name_zh, r.name_en) for r in rows}
    _imported.clear()
    _imported.update(loaded)


def loaded_from(s: Session) -> dict[str, Region]:
    """Shipped and imported regions as ``s`` sees them (an import's own transaction)."""
    rows = s.scalars(select(RegionRow))
    return {**shipped(), **{r.code: Region(r.code, r.name_zh, r.name_en) for r in rows}}


def find(code: str) -> Region | None:
    """The region of ``code``, or None when the directory does not know it."""
    return _imported.get(code) or shipped().get(code)


def region_name(code: str | None, lang: str = "zh") -> str:
    """The region's name in ``lang``; the code itself when unknown (``""``: nothing)."""
    if not code:
        return ""
    r = find(code)
    return r.name(lang) if r else code


def region_path(code: str | None, lang: str = "zh") -> str:
    """Names from the province down (``河北省 石家庄市 长安区 …``); unknown levels skipped,
    the code itself when no level is known."""
    if not code:
        return ""
    names = []
    c: str | None = code
    while c:
        r = find(c)
        if r:
            names.append(r.name(lang))
        c = parent_code(c)
    return " ".join(reversed(names)) if names else code


def children(code: str = "") -> list[Region]:
    """The regions one level below ``code`` (``""``: the provinces), by code."""
    every = {**shipped(), **_imported}
    if code == "":
        return sorted((r for r in every.values() if len(r.code) == 2), key=lambda r: r.code)
    return sorted((r for r in every.values() if r.parent == code), key=lambda r: r.code)
