"""The storage interface under ``OutboxCore``: rows, not policy.

Every method is called with the core's write lock held; mutating calls run
inside ``transaction()``. ``Row`` is what eviction and acknowledgement need
to keep the running totals right.

A store either owns its transactions (``SqliteStore``, ``MemoryStore``), or
joins the transaction its host has open (``JoinedStore``): then a ``put``
commits or rolls back with the caller's own rows, the core writes in the
caller's thread under the host's lock (``write_lock``), and ``on_rollback``
tells the core when the host's outermost transaction rolled back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from coalguard.edge.outbox.record import PRIORITIES, OutboxRecord, Pending


class Row(NamedTuple):
    id: str
    priority: str
    size: int


@dataclass
class Taken:
    """What an acknowledgement took out of the unsent records: the ids, and the
    count and bytes per priority (the running totals follow them)."""

    ids: list[str] = field(default_factory=list)
    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PRIORITIES, 0))
    size: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PRIORITIES, 0))

    def add(self, ids: list[str], priority: str, count: int, size: int) -> None:
        self.ids += ids
        self.count[priority] += count
        self.size[priority] += size

    def merge(self, other: Taken) -> None:
        self.ids += other.ids
        for p in PRIORITIES:
            self.count[p] += other.count[p]
            self.size[p] += other.size[p]


class Tallies(NamedTuple):
    """Counts and bytes held, read once at open."""

    pending: dict[str, int]
    pending_bytes: dict[str, int]
    retained: int
    retained_bytes: int


class Store(Protocol):
    # True when ``pending_in_order`` may run without the core's write lock,
    # concurrently with a write transaction (it then reads committed rows).
    concurrent_reads: bool
    joins_caller_transaction: bool
    # The lock the core must write under (the host's, for a joined store), or None.
    write_lock: threading.RLock | None

    def on_rollback(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` if the transaction now open is rolled back (joined stores)."""
        ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def insert(self, records: Sequence[OutboxRecord], may_exist: Sequence[bool]) -> list[bool]:
        """Insert new ids; ``False`` for an id already held (row left as it was).

        Only records flagged in ``may_exist`` need checking: the others carry
        freshly generated ids."""
        ...

    def get(self, record_id: str) -> OutboxRecord | None: ...

    def pending_in_order(self, limit: int, after: int = 0) -> list[Pending]:
        """Unsent records placed after ``after``, in the order they were committed.

        A place (``Pending.seq``) is given at commit, each one past the
        highest held, and stays with its record."""
        ...

    def oldest_telemetry(self, limit: int) -> list[Row]:
        """Unsent telemetry, oldest birth first."""
        ...

    def telemetry_born_before(self, born_us: int) -> list[Row]: ...

    def oldest_retained(self, limit: int) -> list[Row]:
        """Sent-and-kept records, oldest acknowledgement first."""
        ...

    def retained_acked_before(self, acked_us: int) -> list[Row]: ...

    def delete(self, ids: Iterable[str]) -> None: ...

    def pending_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        """The places of those ``ids`` that are unsent."""
        ...

    def take_pending(self, places: Mapping[str, int], acked_us: int | None) -> Taken:
        """Acknowledge unsent records given as id -> place: mark them sent at
        ``acked_us``, or delete them when ``acked_us`` is None. A place that
        does not hold its id is left alone."""
        ...

    def oldest_pending_born_us(self) -> int | None:
        """Birth time of the first unsent record in commit order."""
        ...

    def tallies(self) -> Tallies: ...

    def load_counters(self) -> dict[str, int]: ...

    def save_counters(self, counters: dict[str, int]) -> None: ...

    def close(self) -> None: ...
