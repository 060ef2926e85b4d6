"""The gateway's own SQLite database: workflow state, ledgers, camera metadata.

One file in the data directory, WAL mode, ``synchronous=FULL`` so a committed
step survives a power cut. One connection shared under a lock: the checkpoint
has a handful of operators, not thousands, and a single writer keeps every
multi-table step atomic. The outbox lives in this database too (``outbox_*``
tables, ``coalguard.edge.outbox.JoinedOutbox``): a step's rows, its ledger
entry and its records for the cloud commit in one transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from coalguard.errors import CoalguardError

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    priority TEXT NOT NULL,
    born_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inspections (
    id TEXT PRIMARY KEY,
    plate TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    source TEXT NOT NULL,
    registration TEXT,
    fast_pass TEXT,
    sample TEXT,
    result TEXT,
    profile_id TEXT,
    verdict TEXT,
    overall TEXT,
    outcome TEXT,
    case_open INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS inspections_plate ON inspections(plate, state);
CREATE INDEX IF NOT EXISTS inspections_opened ON inspections(opened_at);
CREATE TABLE IF NOT EXISTS transitions (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    reason TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (inspection_id, seq)
);
CREATE TABLE IF NOT EXISTS analyzer_results (
    id TEXT PRIMARY KEY,
    analyzer_id TEXT NOT NULL,
    sample_id TEXT,
    at TEXT NOT NULL,
    indicators TEXT NOT NULL,
    uncertainty TEXT NOT NULL,
    inspection_id TEXT
);
CREATE INDEX IF NOT EXISTS analyzer_results_sample ON analyzer_results(sample_id);
CREATE TABLE IF NOT EXISTS lab_samples (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    sample_id TEXT NOT NULL,
    seal_no TEXT,
    profile_id TEXT NOT NULL,
    sampled_at TEXT NOT NULL,
    dispatch_due TEXT NOT NULL,
    dispatched_at TEXT,
    lab_name TEXT,
    received_at TEXT,
    report_due TEXT,
    reported_at TEXT,
    report_no TEXT,
    report TEXT,
    overall TEXT,
    office_flagged INTEGER NOT NULL DEFAULT 0,
    dispatch_alerted INTEGER NOT NULL DEFAULT 0,
    report_alerted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ledger (
    book TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    corrects TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (book, seq)
);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: write a correction entry'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: write a correction entry'); END;
CREATE TABLE IF NOT EXISTS camera_events (
    id TEXT PRIMARY KEY,
    camera_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    plate TEXT,
    confidence REAL,
    snapshot_ref TEXT,
    snapshot_sha256 TEXT,
    clip_ref TEXT,
    clip_sha256 TEXT,
    inspection_id TEXT,
    body TEXT NOT NULL,
    UNIQUE (camera_id, event_id)
);
CREATE INDEX IF NOT EXISTS camera_events_age ON camera_events(received_at);
CREATE INDEX IF NOT EXISTS camera_events_plate ON camera_events(plate, at);
CREATE INDEX IF NOT EXISTS camera_events_inspection ON camera_events(inspection_id);
CREATE TABLE IF NOT EXISTS camera_dead_letters (
    id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    camera_id TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS analyzer_dead_letters (
    id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    analyzer_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    last_seen TEXT,
    errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    silent_since TEXT
);
CREATE TABLE IF NOT EXISTS purge_runs (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    cutoff TEXT NOT NULL,
    examined INTEGER NOT NULL,
    purged INTEGER NOT NULL,
    held INTEGER NOT NULL,
    batches INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fast_pass (
    plate TEXT PRIMARY KEY,
    company TEXT NOT NULL,
    report_id TEXT NOT NULL,
    expires TEXT NOT NULL,
    list_version TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    api_token_hash TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    cleared_at TEXT
);
"""


class StoreError(CoalguardError):
    """The gateway database cannot be opened."""


class Store:
    """The gateway database. ``tx()`` is one atomic step; reads take the same lock.

    It is the outbox's ``TransactionHost``: ``lock`` and ``connection`` are lent
    to the outbox, which uses them only under ``lock``.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=10
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open gateway database: {exc}") from None
        self.connection.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self._depth = 0
        self._rollback_hooks: list[Callable[[], None]] = []
        with self.lock:
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=FULL")
            self.connection.execute("PRAGMA foreign_keys=ON")
            self.connection.executescript(SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic write. Nested calls join the outer transaction."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.connection
                finally:
                    self._depth -= 1
                return
            self.connection.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.connection
                self.connection.execute("COMMIT")
            except BaseException:
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
                hooks, self._rollback_hooks = self._rollback_hooks, []
                for fn in reversed(hooks):
                    fn()
                raise
            finally:
                self._depth = 0
                self._rollback_hooks = []

    def on_rollback(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` if the transaction now open rolls back (last registered, first called)."""
        with self.lock:
            if not self._depth:
                raise RuntimeError("on_rollback outside a transaction")
            self._rollback_hooks.append(fn)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.connection.execute(sql, params).fetchall()

    def row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.connection.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        r = self.row(sql, params)
        return None if r is None else r[0]

    def close(self) -> None:
        with self.lock:
            self.connection.close()
