"""The outbox's rows in SQLite: tables and statements, apart from who owns the connection.

Two stores use them: ``SqliteStore`` (a file of its own, tables without a
prefix) and ``JoinedStore`` (tables prefixed ``outbox_`` inside a host's
database, written through the host's connection and transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence

import orjson

from coalguard.edge.outbox.micros import from_us, to_us
from coalguard.edge.outbox.record import OutboxRecord, Pending
from coalguard.edge.outbox.store import Row, Taken, Tallies
from coalguard.errors import CoalguardError

SCHEMA_VERSION = "1"
PRIO = {"critical": 0, "telemetry": 1}
PRIO_NAME = {v: k for k, v in PRIO.items()}
_IN_CHUNK = 500
_COLS = "id, kind, priority, born_us, body, size, NULL"
_SENT_COLS = "id, kind, priority, born_us, body, size, acked_us"
# What the uplink reads, the priority named by SQLite and the body as its UTF-8 bytes
# (``create_tables`` checks the encoding): a tuple per row, ready for ``Pending``.
_PENDING_COLS = (
    "seq, id, kind, CASE priority "
    + " ".join(f"WHEN {v} THEN '{k}'" for k, v in PRIO.items())
    + " END, born_us, CAST(body AS BLOB), size"
)

# ``records`` holds unsent records only (rowid order is commit order, so the
# uplink reads it front to back); acknowledged records kept for lookup move
# to ``sent``. Inserting a critical record touches the table and the id index.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}records (
    seq      INTEGER PRIMARY KEY,
    id       TEXT    NOT NULL UNIQUE,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    born_us  INTEGER NOT NULL,
    body     TEXT    NOT NULL,
    size     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}records_telemetry ON {p}records (born_us, seq) WHERE priority = 1;
CREATE TABLE IF NOT EXISTS {p}sent (
    id       TEXT    PRIMARY KEY,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    born_us  INTEGER NOT NULL,
    body     TEXT    NOT NULL,
    size     INTEGER NOT NULL,
    acked_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {p}sent_acked ON {p}sent (acked_us);
CREATE TABLE IF NOT EXISTS {p}counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS {p}meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class OutboxCorrupt(CoalguardError):
    """The outbox file is not an outbox this version can read."""


def create_tables(conn: sqlite3.Connection, prefix: str, where: str) -> None:
    """Create the tables (outside any transaction) and check the schema version.

    The uplink sends each body's stored bytes as they are, so the database
    must keep text as UTF-8 (SQLite's default; a UTF-16 file is refused).
    """
    encoding = conn.execute("PRAGMA encoding").fetchone()[0]
    if encoding != "UTF-8":
        raise OutboxCorrupt(f"outbox {where} keeps text as {encoding}; it must be UTF-8")
    conn.executescript(_SCHEMA.format(p=prefix))
    row = conn.execute(f"SELECT value FROM {prefix}meta WHERE key='schema'").fetchone()
    if row is None:
        conn.execute(f"INSERT INTO {prefix}meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    elif row[0] != SCHEMA_VERSION:
        raise OutboxCorrupt(
            f"outbox {where} has schema version {row[0]}; this coalguard reads "
            f"version {SCHEMA_VERSION}"
        )


def _row_to_record(r: tuple) -> OutboxRecord:
    rid, kind, prio, born_us, body, size, acked_us = r
    return OutboxRecord(
        id=rid,
        kind=kind,
        priority=PRIO_NAME[prio],
        born_at=from_us(born_us),
        body_json=body,
        size=size,
        acked_at=from_us(acked_us) if acked_us is not None else None,
    )


def runs(seqs: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted places as ranges of consecutive places: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for seq in seqs:
        if out and seq == out[-1][1] + 1:
            out[-1] = (out[-1][0], seq)
        else:
            out.append((seq, seq))
    return out


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield ids[i : i + _IN_CHUNK]


class SqlRows:
    """The row operations of ``Store`` over ``_conn`` (writes) and ``_reader`` (lease reads).

    Subclasses set ``_conn``, ``_reader`` and ``_p`` (the table prefix) and
    own transactions and closing.
    """

    _conn: sqlite3.Connection
    _reader: sqlite3.Connection
    _p: str = ""

    def insert(self, records: Sequence[OutboxRecord], may_exist: Sequence[bool]) -> list[bool]:
        held = self._held([r.id for r, m in zip(records, may_exist, strict=True) if m])
        rows = [
            (r.id, r.kind, PRIO[r.priority], to_us(r.born_at), r.body_json, r.size)
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
                        (r.id, r.kind, PRIO[r.priority], to_us(r.born_at), r.body_json, r.size)
                    )
        before = self._conn.total_changes
        self._conn.executemany(
            f"INSERT INTO {self._p}records (id, kind, priority, born_us, body, size) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        if self._conn.total_changes - before != len(rows):
            raise RuntimeError("outbox insert wrote fewer rows than asked")
        return fresh

    def _held(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are held already, unsent or sent."""
        found: set[str] = set()
        p = self._p
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            found.update(
                r[0]
                for r in self._conn.execute(
                    f"SELECT id FROM {p}records WHERE id IN ({marks}) "
                    f"UNION ALL SELECT id FROM {p}sent WHERE id IN ({marks})",
                    (*part, *part),
                )
            )
        return found

    def get(self, record_id: str) -> OutboxRecord | None:
        p = self._p
        r = (
            self._conn.execute(
                f"SELECT {_COLS} FROM {p}records WHERE id = ?", (record_id,)
            ).fetchone()
            or self._conn.execute(
                f"SELECT {_SENT_COLS} FROM {p}sent WHERE id = ?", (record_id,)
            ).fetchone()
        )
        return _row_to_record(r) if r else None

    def pending_in_order(self, limit: int, after: int = 0) -> list[Pending]:
        rows = self._reader.execute(
            f"SELECT {_PENDING_COLS} FROM {self._p}records WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        ).fetchall()
        return list(map(Pending._make, rows))

    def oldest_telemetry(self, limit: int) -> list[Row]:
        return self._telemetry("", "LIMIT ?", (limit,))

    def telemetry_born_before(self, born_us: int) -> list[Row]:
        return self._telemetry("AND born_us < ?", "", (born_us,))

    def _telemetry(self, and_where: str, limit: str, args: tuple[int, ...]) -> list[Row]:
        """Pending telemetry, oldest first: what the quota and the age limit drop."""
        rows = self._conn.execute(
            f"SELECT id, size FROM {self._p}records WHERE priority = 1 {and_where} "
            f"ORDER BY born_us, seq {limit}",
            args,
        ).fetchall()
        return [Row(rid, "telemetry", size) for rid, size in rows]

    def oldest_retained(self, limit: int) -> list[Row]:
        rows = self._conn.execute(
            f"SELECT id, priority, size FROM {self._p}sent ORDER BY acked_us LIMIT ?", (limit,)
        ).fetchall()
        return [Row(rid, PRIO_NAME[p], size) for rid, p, size in rows]

    def retained_acked_before(self, acked_us: int) -> list[Row]:
        rows = self._conn.execute(
            f"SELECT id, priority, size FROM {self._p}sent WHERE acked_us < ?", (acked_us,)
        ).fetchall()
        return [Row(rid, PRIO_NAME[p], size) for rid, p, size in rows]

    def delete(self, ids: Iterable[str]) -> None:
        params = [(i,) for i in ids]
        self._conn.executemany(f"DELETE FROM {self._p}records WHERE id = ?", params)
        self._conn.executemany(f"DELETE FROM {self._p}sent WHERE id = ?", params)

    def pending_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            found.update(
                self._conn.execute(
                    f"SELECT id, seq FROM {self._p}records WHERE id IN ({marks})", tuple(part)
                )
            )
        return found

    def take_pending(self, places: Mapping[str, int], acked_us: int | None) -> Taken:
        """Take each run of consecutive places by range (the primary key, not the id
        index: a batch of 2,000 is usually one run) once SQLite has matched every
        place of the run with its id; a run where some place holds another record
        is taken record by record."""
        p = self._p
        named = {seq: rid for rid, seq in places.items()}
        taken = Taken()
        for lo, hi in runs(sorted(named)):
            ids = [named[seq] for seq in range(lo, hi + 1)]
            tally = self._conn.execute(
                f"SELECT r.priority, count(*), total(r.size) FROM json_each(?) AS j "
                f"JOIN {p}records AS r ON r.seq = j.key + ? AND r.id = j.value "
                "GROUP BY r.priority",
                (orjson.dumps(ids), lo),
            ).fetchall()
            if sum(n for _, n, _ in tally) == len(ids):
                self._take_range(lo, hi, acked_us)
                taken.ids += ids
                for prio, n, size in tally:
                    taken.add([], PRIO_NAME[prio], n, int(size))
                continue
            for seq, rid, prio, size in self._conn.execute(
                f"SELECT seq, id, priority, size FROM {p}records WHERE seq BETWEEN ? AND ?",
                (lo, hi),
            ).fetchall():
                if named[seq] == rid:
                    self._take_range(seq, seq, acked_us)
                    taken.add([rid], PRIO_NAME[prio], 1, size)
        return taken

    def _take_range(self, lo: int, hi: int, acked_us: int | None) -> None:
        p = self._p
        if acked_us is not None:
            self._conn.execute(
                f"INSERT INTO {p}sent (id, kind, priority, born_us, body, size, acked_us) "
                f"SELECT id, kind, priority, born_us, body, size, ? FROM {p}records "
                "WHERE seq BETWEEN ? AND ?",
                (acked_us, lo, hi),
            )
        self._conn.execute(f"DELETE FROM {p}records WHERE seq BETWEEN ? AND ?", (lo, hi))

    def oldest_pending_born_us(self) -> int | None:
        r = self._conn.execute(
            f"SELECT born_us FROM {self._p}records ORDER BY seq LIMIT 1"
        ).fetchone()
        return r[0] if r else None

    def tallies(self) -> Tallies:
        pending = {"critical": 0, "telemetry": 0}
        pending_bytes = {"critical": 0, "telemetry": 0}
        for prio, n, size in self._conn.execute(
            f"SELECT priority, COUNT(*), COALESCE(SUM(size), 0) FROM {self._p}records GROUP BY 1"
        ):
            pending[PRIO_NAME[prio]] += n
            pending_bytes[PRIO_NAME[prio]] += size
        retained, retained_bytes = self._conn.execute(
            f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM {self._p}sent"
        ).fetchone()
        return Tallies(pending, pending_bytes, retained, retained_bytes)

    def load_counters(self) -> dict[str, int]:
        return dict(self._conn.execute(f"SELECT name, value FROM {self._p}counters").fetchall())

    def save_counters(self, counters: dict[str, int]) -> None:
        self._conn.executemany(
            f"INSERT INTO {self._p}counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            list(counters.items()),
        )
