"""The gateway's own SQLite database: workflow state, ledgers, camera metadata.

One file in the data directory, WAL mode, ``synchronous=FULL`` so a committed
step survives a power cut. One connection shared under a lock: the checkpoint
has a handful of operators, not thousands, and a single writer keeps every
multi-table step atomic. The outbox lives in this database too (``outbox_*``
tables, ``coalguard.edge.outbox.JoinedOutbox``): a step's rows, its ledger
entry and its records for the cloud commit in one transaction. Its tables
are made and upgraded by ``coalguard.gateway.migrations`` at open.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from coalguard.errors import WordedError, first_line
from coalguard.gateway.migrations import SchemaTooNew, migrate


class StoreError(WordedError):
    """The gateway database cannot be opened (one worded line at start)."""

    section = "deploy"


class Store:
    """The gateway database. ``tx()`` is one atomic step; reads take the same lock.

    It is the outbox's ``TransactionHost``: ``lock`` and ``connection`` are lent
    to the outbox, which uses them only under ``lock``.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=10
            )
            self.connection.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError("sqlite_unopenable", path=path, reason=first_line(exc)) from None
        self.connection.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self._depth = 0
        self._rollback_hooks: list[Callable[[], None]] = []
        with self.lock:
            self.connection.execute("PRAGMA synchronous=FULL")
            self.connection.execute("PRAGMA foreign_keys=ON")
        try:
            migrate(self.connection)
        except (SchemaTooNew, sqlite3.Error) as exc:
            self.connection.close()
            raise StoreError("sqlite_schema", path=path, reason=str(exc)) from None

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
