"""``JoinedOutbox``: the outbox as tables inside a host's SQLite database.

A ``put`` made inside the host's open transaction joins it: the record
commits together with the rows of the step that made it, or not at all. With
a separate outbox file the record committed first, so a crash between the two
commits left the cloud with a step the edge never made (forked ledgers,
doubled transitions). A ``put`` made outside any transaction commits at once,
so the outbox contract holds unchanged (``tests/edge/outbox_contract.py``).

The host lends its connection, its lock and its transactions; policy,
leases and acknowledgement are ``OutboxCore``'s, as for the standalone file.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol, Unpack

from coalguard.edge.outbox.core import OutboxCore, OutboxOptions
from coalguard.edge.outbox.rows import SqlRows, create_tables
from coalguard.edge.outbox.sqlite import hold_owner_lock

PREFIX = "outbox_"


class TransactionHost(Protocol):
    """A database that lends the outbox its connection (the gateway's store)."""

    path: Path
    lock: threading.RLock  # every use of ``connection`` happens under it
    connection: sqlite3.Connection

    def tx(self) -> AbstractContextManager[sqlite3.Connection]:
        """One atomic write; joins the transaction already open, if any."""
        ...

    def on_rollback(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` when the outermost transaction now open rolls back."""
        ...


class JoinedStore(SqlRows):
    """Outbox rows in ``outbox_*`` tables of the host database (see ``Store``)."""

    concurrent_reads = False
    joins_caller_transaction = True

    def __init__(self, host: TransactionHost) -> None:
        self._host = host
        self._p = PREFIX
        self.write_lock = host.lock
        # One owner per outbox, as for the file (``<database>.outbox.lock``).
        self._lockfile = hold_owner_lock(
            host.path.with_name(host.path.name + ".outbox"), f"the outbox in {host.path}"
        )
        try:
            with host.lock:
                self._conn = self._reader = host.connection
                if self._conn.in_transaction:
                    raise RuntimeError("the outbox tables are created outside any transaction")
                create_tables(self._conn, PREFIX, str(host.path))
        except BaseException:
            self._lockfile.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._host.tx():
            yield

    def on_rollback(self, fn: Callable[[], None]) -> None:
        self._host.on_rollback(fn)

    def close(self) -> None:
        """Gives up ownership; the host owns the connection and closes it."""
        self._lockfile.close()


class JoinedOutbox(OutboxCore):
    """The outbox inside ``host``'s database; ``put`` joins the caller's transaction."""

    def __init__(
        self,
        host: TransactionHost,
        **options: Unpack[OutboxOptions],
    ) -> None:
        super().__init__(JoinedStore(host), **options)
