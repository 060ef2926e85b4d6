"""A list the gateway pulls from the cloud, cached whole in one table of its store.

The fast-pass list and the watch list both work with the uplink down: the
last list stays in force until a newer version arrives, and a new list
replaces the old one in one transaction (never half old, half new).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

from coalguard.edge.clock import Clock
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso


@dataclass(eq=False)
class CachedList:
    """``table`` holds the list's rows; ``meta[version_key]`` the version they are."""

    table: ClassVar[str]
    version_key: ClassVar[str]
    store: Store
    clock: Clock
    checkpoint_id: str

    @contextmanager
    def swap(self, version: str) -> Iterator[tuple[sqlite3.Connection, str]]:
        """A transaction with the table emptied and ``version`` set; yields it and the load time."""
        now = iso(self.clock.now())
        with self.store.tx() as db:
            db.execute(f"DELETE FROM {self.table}")
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (self.version_key, version)
            )
            yield db, now

    def version(self) -> str | None:
        return self.store.scalar("SELECT value FROM meta WHERE key = ?", (self.version_key,))

    def count(self) -> int:
        return int(self.store.scalar(f"SELECT COUNT(*) FROM {self.table}") or 0)
