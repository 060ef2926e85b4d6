"""``Outbox``: the durable outbox, one SQLite file in WAL mode.

Durability: ``synchronous=FULL`` in WAL mode syncs the log at every commit,
so a record ``put`` returned is on disk even if the PC loses power the next
instant. ``NORMAL`` would only survive a process crash, not a power cut: a
checkpoint PC switched off mid-shift is our normal case, so we pay the sync
and win the rate back with group commit (one sync per group of producers).

One process owns an outbox file at a time (an advisory lock), because leases
live in that process's memory: when it dies, its leases die with it and the
records go out again (at-least-once; the cloud drops duplicates by id).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from coalguard.edge.clock import Clock
from coalguard.edge.outbox.core import OutboxCore
from coalguard.edge.outbox.policy import COUNTERS, OutboxPolicy
from coalguard.edge.outbox.rows import OutboxCorrupt, SqlRows, create_tables
from coalguard.errors import CoalguardError


class OutboxLocked(CoalguardError):
    """Another process already has this outbox open."""


def hold_owner_lock(path: Path, what: str) -> IO[str]:
    """An advisory lock that one process holds while it owns an outbox.

    Leases live in the owner's memory, so a second owner would send records
    twice; ``OutboxLocked`` says so instead. Closing the file releases it.
    """
    lockfile = open(f"{path}.lock", "a+")  # noqa: SIM115 (held for the owner's lifetime)
    try:
        fcntl.flock(lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lockfile.close()
        raise OutboxLocked(f"{what} is in use by another process") from None
    return lockfile


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the outbox's durability settings (used by ``bench/`` too)."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


class SqliteStore(SqlRows):
    """Rows of one outbox file (see ``Store``).

    Writes go through one connection; ``pending_in_order`` uses a second,
    read-only one, so the uplink reads a batch while producers commit.
    """

    concurrent_reads = True
    joins_caller_transaction = False
    write_lock = None

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lockfile = hold_owner_lock(path, f"outbox {path}")
        try:
            self._conn = connect(path)
            create_tables(self._conn, "", str(path))
            self._reader = connect(path)
            self._reader.execute("PRAGMA query_only=ON")
        except BaseException as exc:
            for name in ("_reader", "_conn"):
                conn = getattr(self, name, None)
                if conn is not None:
                    conn.close()
            self._lockfile.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise OutboxCorrupt(f"outbox {path} cannot be opened: {exc}") from None
            raise

    def on_rollback(self, fn: Callable[[], None]) -> None:
        """Own transactions only: the core restores its totals itself."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._reader.close()
        self._conn.close()
        self._lockfile.close()


def disk_free_at(path: Path) -> Callable[[], int]:
    """Free bytes on the file system holding ``path``."""
    directory = path.parent

    def free() -> int:
        return shutil.disk_usage(directory).free

    return free


class Outbox(OutboxCore):
    """The durable outbox of one edge process (SQLite, WAL, ``synchronous=FULL``).

    ``Outbox(path).put(kind, body, priority="critical")`` returns only after
    the record is on disk. See ``OutboxCore`` for lease/ack and bounds.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        policy: OutboxPolicy | None = None,
        clock: Clock | None = None,
        disk_free: Callable[[], int] | None = None,
    ) -> None:
        p = Path(path)
        super().__init__(
            SqliteStore(p), policy=policy, clock=clock, disk_free=disk_free or disk_free_at(p)
        )
        self.path = p


__all__ = ["COUNTERS", "Outbox", "OutboxCorrupt", "OutboxLocked", "SqliteStore", "connect"]
