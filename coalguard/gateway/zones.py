"""Where a truck is bound (R22): the zone list pulled from the cloud, and the seizure check.

The cloud's zone list is pulled and cached like the watch list: the last good
list stays in force with the uplink down, and its version and load time are
shown. A load of coal declared for a village in a 禁煤区 (``no_coal``) is held
for seizure (查扣) unless the list allows that fuel there: the seeds ban all
coal in a 禁煤区, loose coal and briquettes alike (briquettes "may not be sold
into it"), so a briquette load is held too. Without a list the check says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from coalguard.edge.zonelist import ZoneList
from coalguard.gateway.cached_list import CachedList
from coalguard.gateway.errors import GatewayError

# Zone kinds a coal load may not enter: the truck is held for seizure.
SEIZE_IN = frozenset({"no_coal"})
_CODE = re.compile(r"^[0-9]{6,12}$")
LOADED_KEY = "zone_list_loaded_at"


@dataclass(frozen=True)
class ZoneCheck:
    """What the zone list says of a destination: ``status`` is a ``[seizure]`` catalog key.

    held (a 禁煤区, fuel not allowed) · in_zone (another zone, or the fuel allowed)
    · outside (no listed zone) · no_list (no list pulled yet: not checked).
    """

    status: str
    village: str
    name: str = ""
    kind: str = ""
    published_on: str = ""
    list_version: str = ""

    @property
    def held(self) -> bool:
        return self.status == "held"

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(eq=False)
class ZoneDesk(CachedList):
    """The cached zone list: which zone a destination village lies in."""

    table: ClassVar[str] = "zone_villages"
    version_key: ClassVar[str] = "zone_list_version"

    def replace(self, zl: ZoneList) -> int:
        """Install the cloud's whole list at once (never half old, half new)."""
        with self.swap(zl.version) as (db, now):
            db.executemany(
                "INSERT INTO zone_villages(code, name, kind, allowed_fuels, published_on, "
                "list_version, loaded_at) VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        v.code,
                        v.name,
                        v.kind,
                        json.dumps(list(v.allowed_fuels)),
                        v.published_on.isoformat(),
                        v.list_version,
                        now,
                    )
                    for v in zl.villages
                ],
            )
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (LOADED_KEY, now))
        return len(zl.villages)

    def loaded_at(self) -> str | None:
        return self.store.scalar("SELECT value FROM meta WHERE key = ?", (LOADED_KEY,))

    def villages(self) -> list[tuple[str, str]]:
        """(code, name) of every listed entry, by name: the form's choices."""
        rows = self.store.rows("SELECT code, name FROM zone_villages ORDER BY name, code")
        return [(r["code"], r["name"]) for r in rows]

    def resolve(self, declared: str) -> str:
        """A declared destination village as its code: a typed code, or a listed name."""
        text = declared.strip()
        if _CODE.match(text):
            return text
        rows = self.store.rows("SELECT code FROM zone_villages WHERE name = ?", (text,))
        if len(rows) == 1:
            return str(rows[0]["code"])
        key = "seizure.ambiguous_village" if rows else "seizure.unknown_village"
        raise GatewayError(key, village=text)

    def check(self, code: str, coal_type: str) -> ZoneCheck:
        """Whether a load of ``coal_type`` bound for ``code`` is held for seizure."""
        if self.version() is None:
            return ZoneCheck("no_list", code)
        prefixes = [code[:k] for k in range(len(code), 5, -1)]
        marks = ",".join("?" * len(prefixes))
        row = self.store.row(
            f"SELECT * FROM zone_villages WHERE code IN ({marks}) "
            "ORDER BY length(code) DESC LIMIT 1",
            prefixes,
        )
        if row is None:
            return ZoneCheck("outside", code)
        seize = row["kind"] in SEIZE_IN and coal_type not in json.loads(row["allowed_fuels"])
        return ZoneCheck(
            "held" if seize else "in_zone",
            code,
            row["name"],
            row["kind"],
            row["published_on"],
            row["list_version"],
        )

    @staticmethod
    def from_stored(data: dict[str, Any] | None) -> ZoneCheck | None:
        return ZoneCheck(**data) if data else None
