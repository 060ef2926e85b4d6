"""Which unsent records are out with the uplink, and where the next lease reads on from.

Leases live in the owning process's memory only: when it dies they die with
it and the records go out again (at-least-once; the cloud drops duplicates
by id).

The *place*: every unsent record at or before it (in commit order) is
leased, and none after it is. The next lease then reads on from the place
instead of reading the batches still out again only to skip them (a
pipelined uplink holds two batches of 2,000). Whatever could break that
forgets the place, and the next read starts at the front and skips what is
leased, as it always may:

- a lease that ends without delivery (released, expired): that record is
  unsent again, at or before the place;
- the record at the place acknowledged or dropped: SQLite numbers a new row
  one past the highest row left, which may then be at or before the place;
- a rolled-back transaction (``OutboxCore._tx``).

Nothing depends on the place for safety: an acknowledgement removes the
row at a leased place only if it holds the id leased there, and looks up by
id whatever it did not find (``OutboxCore._take_pending``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coalguard.edge.outbox.record import Pending


class Leases:
    """Leased ids with their expiry and place (not thread-safe: the core's locks guard it)."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[int, int]] = {}  # id -> (until_us, seq)
        self._place = 0  # 0: unknown, read from the front
        self._next_expiry: int | None = None
        self._era = 0  # bumped when the place is forgotten

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._held

    def seq_of(self, record_id: str) -> int | None:
        held = self._held.get(record_id)
        return held[1] if held is not None else None

    def expire(self, now_us: int) -> None:
        """End the leases whose time is up (their records go out again)."""
        if self._next_expiry is None or now_us < self._next_expiry:
            return
        expired = [rid for rid, (until, _) in self._held.items() if until <= now_us]
        for rid in expired:
            del self._held[rid]
        self._next_expiry = min((u for u, _ in self._held.values()), default=None)
        if expired:
            self.forget_place()

    def read_plan(self) -> tuple[int, int, int]:
        """(read after this place, rows to read beyond the batch to skip leased ones, era)."""
        if self._place:
            return self._place, 0, self._era
        return 0, len(self._held), self._era

    def take(
        self, rows: Sequence[Pending], max_records: int, max_bytes: int, until_us: int, era: int
    ) -> list[Pending]:
        """Lease the first unleased ``rows`` within the bounds (one at least).

        ``era`` is ``read_plan``'s: if the place was forgotten while the rows
        were read, the place is not moved on.
        """
        out: list[Pending] = []
        size = 0
        held = self._held
        for rec in rows:
            if rec.id in held:
                continue
            if out and size + rec.size > max_bytes:
                break
            out.append(rec)
            size += rec.size
            if len(out) >= max_records:
                break
        if not out:
            return out
        last = out[-1].seq
        moves_on = era == self._era and (self._place or all(seq < last for _, seq in held.values()))
        for rec in out:
            held[rec.id] = (until_us, rec.seq)
        if self._next_expiry is None or until_us < self._next_expiry:
            self._next_expiry = until_us
        if moves_on:
            self._place = last
        return out

    def end(self, ids: Iterable[str], *, delivered: bool) -> None:
        """End leases: delivered (acknowledged or dropped) or not (sent again)."""
        held = self._held
        for rid in ids:
            got = held.pop(rid, None)
            if got is not None and (not delivered or got[1] == self._place):
                self.forget_place()
        if not held:
            self._next_expiry = None

    def forget_place(self) -> None:
        self._place = 0
        self._era += 1
