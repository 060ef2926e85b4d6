"""``MemoryOutbox``: the outbox contract without a disk, for unit tests.

Not durable: a process that dies loses it. It exists so code that uses an
outbox can be tested fast, and so the contract suite proves the contract is
about behaviour, not about SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Unpack

from coalguard.edge.outbox.core import OutboxCore, OutboxOptions
from coalguard.edge.outbox.micros import from_us, to_us
from coalguard.edge.outbox.record import OutboxRecord, Pending
from coalguard.edge.outbox.store import Row, Taken, Tallies


class MemoryStore:
    """Rows in a dict; a transaction restores the dict when it fails."""

    concurrent_reads = False
    joins_caller_transaction = False
    write_lock = None

    def __init__(self) -> None:
        # id -> (seq, record, acked_us)
        self._rows: dict[str, tuple[int, OutboxRecord, int | None]] = {}
        self._seq = 0
        self._counters: dict[str, int] = {}

    def on_rollback(self, fn: Callable[[], None]) -> None:
        """Own transactions only: the core restores its totals itself."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        saved = (dict(self._rows), self._seq, dict(self._counters))
        try:
            yield
        except BaseException:
            self._rows, self._seq, self._counters = saved
            raise

    def insert(self, records: Sequence[OutboxRecord], may_exist: Sequence[bool]) -> list[bool]:
        out = []
        for r in records:
            if r.id in self._rows:
                out.append(False)
                continue
            self._seq += 1
            self._rows[r.id] = (self._seq, r, None)
            out.append(True)
        return out

    def get(self, record_id: str) -> OutboxRecord | None:
        got = self._rows.get(record_id)
        if got is None:
            return None
        _, rec, acked = got
        return rec if acked is None else replace(rec, acked_at=from_us(acked))

    def _unsent(self, priority: str | None = None) -> list[tuple[int, OutboxRecord]]:
        rows = [
            (seq, rec)
            for seq, rec, acked in self._rows.values()
            if acked is None and (priority is None or rec.priority == priority)
        ]
        rows.sort(key=lambda x: x[0])
        return rows

    def pending_in_order(self, limit: int, after: int = 0) -> list[Pending]:
        return [
            Pending(seq, r.id, r.kind, r.priority, to_us(r.born_at), r.body_json.encode(), r.size)
            for seq, r in self._unsent()
            if seq > after
        ][:limit]

    def oldest_telemetry(self, limit: int) -> list[Row]:
        rows = self._unsent("telemetry")
        rows.sort(key=lambda x: (to_us(x[1].born_at), x[0]))
        return [Row(r.id, r.priority, r.size) for _, r in rows[:limit]]

    def telemetry_born_before(self, born_us: int) -> list[Row]:
        return [
            Row(r.id, r.priority, r.size)
            for _, r in self._unsent("telemetry")
            if to_us(r.born_at) < born_us
        ]

    def _retained(self) -> list[tuple[int, OutboxRecord]]:
        rows = [(acked, rec) for _, rec, acked in self._rows.values() if acked is not None]
        rows.sort(key=lambda x: x[0])
        return rows

    def oldest_retained(self, limit: int) -> list[Row]:
        return [Row(r.id, r.priority, r.size) for _, r in self._retained()[:limit]]

    def retained_acked_before(self, acked_us: int) -> list[Row]:
        return [Row(r.id, r.priority, r.size) for a, r in self._retained() if a < acked_us]

    def delete(self, ids: Iterable[str]) -> None:
        for i in ids:
            self._rows.pop(i, None)

    def pending_seqs(self, ids: Sequence[str]) -> dict[str, int]:
        return {i: got[0] for i in ids if (got := self._rows.get(i)) is not None and got[2] is None}

    def take_pending(self, places: Mapping[str, int], acked_us: int | None) -> Taken:
        out = Taken()
        for i, place in places.items():
            got = self._rows.get(i)
            if got is None or got[2] is not None or got[0] != place:
                continue
            seq, rec, _ = got
            out.add([rec.id], rec.priority, 1, rec.size)
            if acked_us is None:
                del self._rows[i]
            else:
                self._rows[i] = (seq, rec, acked_us)
        return out

    def oldest_pending_born_us(self) -> int | None:
        unsent = self._unsent()
        return to_us(unsent[0][1].born_at) if unsent else None

    def tallies(self) -> Tallies:
        pending = {"critical": 0, "telemetry": 0}
        pending_bytes = {"critical": 0, "telemetry": 0}
        retained = retained_bytes = 0
        for _, rec, acked in self._rows.values():
            if acked is None:
                pending[rec.priority] += 1
                pending_bytes[rec.priority] += rec.size
            else:
                retained += 1
                retained_bytes += rec.size
        return Tallies(pending, pending_bytes, retained, retained_bytes)

    def load_counters(self) -> dict[str, int]:
        return dict(self._counters)

    def save_counters(self, counters: dict[str, int]) -> None:
        self._counters.update(counters)

    def close(self) -> None:
        pass


class MemoryOutbox(OutboxCore):
    """An outbox in memory with the same contract as ``Outbox`` (not durable)."""

    def __init__(
        self,
        **options: Unpack[OutboxOptions],
    ) -> None:
        super().__init__(MemoryStore(), **options)
