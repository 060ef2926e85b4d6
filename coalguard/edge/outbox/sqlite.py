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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from coalguard.edge.outbox.clock import Clock, from_us, to_us
from coalguard.edge.outbox.core import OutboxCore
from coalguard.edge.outbox.policy import COUNTERS, OutboxPolicy
from coalguard.edge.outbox.record import OutboxRecord
from coalguard.edge.outbox.store import Row, Tallies
from coalguard.errors import CoalguardError

SCHEMA_VERSION = "1"
_PRIO = {"critical": 0, "telemetry": 1}
_PRIO_NAME = {v: k for k, v in _PRIO.items()}
_IN_CHUNK = 500
_COLS = "id, kind, priority, born_us, body, size, NULL"
_SENT_COLS = "id, kind, priority, born_us, body, size, acked_us"

# ``records`` holds unsent records only (rowid order is commit order, so the
# uplink reads it front to back); acknowledged records kept for lookup move
# to ``sent``. Inserting a critical record touches the table and the id index.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq      INTEGER PRIMARY KEY,
    id       TEXT    NOT NULL UNIQUE,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    born_us  INTEGER NOT NULL,
    body     TEXT    NOT NULL,
    size     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_telemetry ON records (born_us, seq) WHERE priority = 1;
CREATE TABLE IF NOT EXISTS sent (
    id       TEXT    PRIMARY KEY,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    born_us  INTEGER NOT NULL,
    body     TEXT    NOT NULL,
    size     INTEGER NOT NULL,
    acked_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sent_acked ON sent (acked_us);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class OutboxLocked(CoalguardError):
    """Another process already has this outbox open."""


class OutboxCorrupt(CoalguardError):
    """The outbox file is not an outbox this version can read."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the outbox's durability settings (used by ``bench/`` too)."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def _row_to_record(r: tuple) -> OutboxRecord:
    rid, kind, prio, born_us, body, size, acked_us = r
    return OutboxRecord(
        id=rid,
        kind=kind,
        priority=_PRIO_NAME[prio],
        born_at=from_us(born_us),
        body_json=body,
        size=size,
        acked_at=from_us(acked_us) if acked_us is not None else None,
    )


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield ids[i : i + _IN_CHUNK]


class SqliteStore:
    """Rows of one outbox file (see ``Store``).

    Writes go through one connection; ``pending_in_order`` uses a second,
    read-only one, so the uplink reads a batch while producers commit.
    """

    concurrent_reads = True

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lockfile = open(f"{path}.lock", "a+")  # noqa: SIM115 (held for our lifetime)
        try:
            fcntl.flock(self._lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lockfile.close()
            raise OutboxLocked(f"outbox {path} is in use by another process") from None
        try:
            self._conn = connect(path)
            self._conn.executescript(_SCHEMA)
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self._conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                raise OutboxCorrupt(
                    f"outbox {path} has schema version {row[0]}; this coalguard reads "
                    f"version {SCHEMA_VERSION}"
                )
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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def insert(self, records: Sequence[OutboxRecord], may_exist: Sequence[bool]) -> list[bool]:
        held = self._held([r.id for r, m in zip(records, may_exist, strict=True) if m])
        rows = [
            (r.id, r.kind, _PRIO[r.priority], to_us(r.born_at), r.body_json, r.size)
            for r in records
            if r.id not in held
        ]
        fresh = [r.id not in held for r in records]
        if len({r.id for r in records}) != len(records):  # one id twice in a group
            seen: set[str] = set()
            rows, fresh = [], []
            for r in records:
                new = r.id not in held and r.id not in seen
                seen.add(r.id)
                fresh.append(new)
                if new:
                    rows.append(
                        (r.id, r.kind, _PRIO[r.priority], to_us(r.born_at), r.body_json, r.size)
                    )
        before = self._conn.total_changes
        self._conn.executemany(
            "INSERT INTO records (id, kind, priority, born_us, body, size) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        if self._conn.total_changes - before != len(rows):
            raise RuntimeError("outbox insert wrote fewer rows than asked")
        return fresh

    def _held(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are held already, unsent or sent."""
        found: set[str] = set()
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            found.update(
                r[0]
                for r in self._conn.execute(
                    f"SELECT id FROM records WHERE id IN ({marks}) "
                    f"UNION ALL SELECT id FROM sent WHERE id IN ({marks})",
                    (*part, *part),
                )
            )
        return found

    def get(self, record_id: str) -> OutboxRecord | None:
        r = (
            self._conn.execute(f"SELECT {_COLS} FROM records WHERE id = ?", (record_id,)).fetchone()
            or self._conn.execute(
                f"SELECT {_SENT_COLS} FROM sent WHERE id = ?", (record_id,)
            ).fetchone()
        )
        return _row_to_record(r) if r else None

    def pending_in_order(self, limit: int) -> list[OutboxRecord]:
        rows = self._reader.execute(
            f"SELECT {_COLS} FROM records ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [_row_to_record(r) for r in rows]

    def oldest_telemetry(self, limit: int) -> list[Row]:
        rows = self._conn.execute(
            "SELECT id, size FROM records WHERE priority = 1 ORDER BY born_us, seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [Row(rid, "telemetry", size) for rid, size in rows]

    def telemetry_born_before(self, born_us: int) -> list[Row]:
        rows = self._conn.execute(
            "SELECT id, size FROM records WHERE priority = 1 AND born_us < ? ORDER BY born_us, seq",
            (born_us,),
        ).fetchall()
        return [Row(rid, "telemetry", size) for rid, size in rows]

    def oldest_retained(self, limit: int) -> list[Row]:
        rows = self._conn.execute(
            "SELECT id, priority, size FROM sent ORDER BY acked_us LIMIT ?", (limit,)
        ).fetchall()
        return [Row(rid, _PRIO_NAME[p], size) for rid, p, size in rows]

    def retained_acked_before(self, acked_us: int) -> list[Row]:
        rows = self._conn.execute(
            "SELECT id, priority, size FROM sent WHERE acked_us < ?", (acked_us,)
        ).fetchall()
        return [Row(rid, _PRIO_NAME[p], size) for rid, p, size in rows]

    def delete(self, ids: Iterable[str]) -> None:
        params = [(i,) for i in ids]
        self._conn.executemany("DELETE FROM records WHERE id = ?", params)
        self._conn.executemany("DELETE FROM sent WHERE id = ?", params)

    def take_pending(self, ids: Sequence[str], acked_us: int | None) -> list[Row]:
        out: list[Row] = []
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                f"SELECT id, priority, size FROM records WHERE id IN ({marks})", tuple(part)
            ).fetchall()
            if not rows:
                continue
            out.extend(Row(rid, _PRIO_NAME[p], size) for rid, p, size in rows)
            if acked_us is not None:
                self._conn.execute(
                    "INSERT INTO sent (id, kind, priority, born_us, body, size, acked_us) "
                    f"SELECT id, kind, priority, born_us, body, size, ? FROM records "
                    f"WHERE id IN ({marks})",
                    (acked_us, *part),
                )
            self._conn.execute(f"DELETE FROM records WHERE id IN ({marks})", tuple(part))
        return out

    def oldest_pending_born_us(self) -> int | None:
        r = self._conn.execute("SELECT born_us FROM records ORDER BY seq LIMIT 1").fetchone()
        return r[0] if r else None

    def tallies(self) -> Tallies:
        pending = {"critical": 0, "telemetry": 0}
        pending_bytes = {"critical": 0, "telemetry": 0}
        for prio, n, size in self._conn.execute(
            "SELECT priority, COUNT(*), COALESCE(SUM(size), 0) FROM records GROUP BY 1"
        ):
            pending[_PRIO_NAME[prio]] += n
            pending_bytes[_PRIO_NAME[prio]] += size
        retained, retained_bytes = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM sent"
        ).fetchone()
        return Tallies(pending, pending_bytes, retained, retained_bytes)

    def load_counters(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT name, value FROM counters").fetchall())

    def save_counters(self, counters: dict[str, int]) -> None:
        self._conn.executemany(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            list(counters.items()),
        )

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
