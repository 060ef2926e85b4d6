"""Which arriving plates to look at twice (issue 12), from local data and the cloud's list.

Local rules, from this checkpoint's own inspections (so they hold offline): a
plate turned back in the last ``recent_hours`` hours, or ``repeat_count``
times or more in the last ``repeat_days`` days. The cloud's watch list (plates
an office listed, plates turned back at other checkpoints of the region) is
pulled and cached like the fast-pass list; a failed pull keeps the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from coalguard.edge.plates import normalize_plate
from coalguard.edge.watchlist import WatchList
from coalguard.gateway.cached_list import CachedList
from coalguard.gateway.config import Watch
from coalguard.gateway.stored_time import iso


@dataclass(frozen=True)
class WatchFlag:
    """Why a plate is highlighted: ``code`` is a key of the ``[watch]`` catalog."""

    code: str  # recent_turn_back | repeat_turn_back | listed | turned_back_nearby
    params: dict[str, str | int] = field(default_factory=dict)
    at: str | None = None  # a stored UTC time, shown in Asia/Shanghai


@dataclass(eq=False)
class WatchDesk(CachedList):
    """Why a plate is watched, from local turn-backs and the cloud's cached list."""

    table: ClassVar[str] = "watch_list"
    version_key: ClassVar[str] = "watch_list_version"
    rules: Watch

    def flags(self, plate: str, exclude: str | None = None) -> list[WatchFlag]:
        """Why ``plate`` is watched (none: it is not); ``exclude``: an inspection not to count."""
        p = normalize_plate(plate)
        now = self.clock.now()
        out = self._local(p, now, exclude or "")
        for row in self.store.rows(
            "SELECT * FROM watch_list WHERE plate = ? ORDER BY source, at DESC", (p,)
        ):
            if row["source"] == "listed":
                out.append(WatchFlag("listed", {"reason": row["reason"]}, row["at"]))
            else:
                out.append(
                    WatchFlag(
                        "turned_back_nearby",
                        {"times": row["times"], "checkpoint": row["checkpoint"] or "—"},
                        row["at"],
                    )
                )
        return out

    def _local(self, plate: str, now: datetime, exclude: str) -> list[WatchFlag]:
        r = self.rules
        since = iso(now - timedelta(days=r.repeat_days))
        turns = [
            row["closed_at"]
            for row in self.store.rows(
                "SELECT closed_at FROM inspections WHERE plate = ? AND outcome = 'turned_back' "
                "AND closed_at >= ? AND id != ? ORDER BY closed_at DESC",
                (plate, since, exclude),
            )
        ]
        out: list[WatchFlag] = []
        if turns and turns[0] >= iso(now - timedelta(hours=r.recent_hours)):
            out.append(WatchFlag("recent_turn_back", {"hours": r.recent_hours}, turns[0]))
        if len(turns) >= r.repeat_count:
            out.append(WatchFlag("repeat_turn_back", {"times": len(turns), "days": r.repeat_days}))
        return out

    def replace(self, wl: WatchList, source: str) -> int:
        """Install the cloud's whole list at once (never half old, half new)."""
        rows = [
            (p.plate, p.source, p.reason, p.times, iso(p.at), p.checkpoint or p.checkpoint_id)
            for p in wl.plates
            # this checkpoint's own turn-backs come from its own inspections
            if not (p.source == "turned_back" and p.checkpoint_id == self.checkpoint_id)
        ]
        with self.swap(wl.version) as (db, now):
            db.executemany(
                "INSERT INTO watch_list(plate, source, reason, times, at, checkpoint, "
                "list_version, loaded_at) VALUES (?,?,?,?,?,?,?,?)",
                [(*r, wl.version, now) for r in rows],
            )
        return len(rows)
