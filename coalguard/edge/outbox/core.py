"""Outbox policy over any ``Store``: group commit, quota, expiry, leases, stats.

Every implementation (``Outbox`` on its own SQLite file, ``JoinedOutbox``
inside a host's database, ``MemoryOutbox`` for unit tests) is this class
over a different store, so they behave the same and one contract suite tests
them all. A store that joins its host's transaction is written in the
caller's thread (the host's commit is the group commit).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from coalguard.edge.clock import Clock, SystemClock
from coalguard.edge.outbox.group_commit import GroupCommitter
from coalguard.edge.outbox.leases import Leases
from coalguard.edge.outbox.micros import from_us, to_us
from coalguard.edge.outbox.policy import COUNTERS, OutboxFull, OutboxPolicy, OutboxStats
from coalguard.edge.outbox.record import OutboxRecord, Pending, RecordInvalid, make_record
from coalguard.edge.outbox.store import Row, Store, Taken

log = logging.getLogger("coalguard.edge.outbox")

_CHUNK = 512
# Counters of routine events are written with the next transaction that
# happens at least this long after the last write (or at close), so a put
# does not dirty one more page per commit; after a crash they may lag by
# that much. Counters of drops and refusals are written with the drop.
_LAZY_COUNTERS = frozenset({"put", "acked"})
_LAZY_FLUSH_S = 5.0
_UNSTAMPED = datetime.min.replace(tzinfo=UTC)  # placeholder until the writer stamps it


@dataclass
class _Totals:
    pending: dict[str, int]
    pending_bytes: dict[str, int]
    retained: int
    retained_bytes: int

    def copy(self) -> _Totals:
        return _Totals(
            dict(self.pending), dict(self.pending_bytes), self.retained, self.retained_bytes
        )

    @property
    def total_bytes(self) -> int:
        return sum(self.pending_bytes.values()) + self.retained_bytes


class OutboxOptions(TypedDict, total=False):
    """What every outbox takes beside its store (``OutboxCore``'s keywords)."""

    policy: OutboxPolicy | None
    clock: Clock | None
    disk_free: Callable[[], int] | None


class OutboxCore:
    """Durable store-and-forward queue of edge records (see ``Outbox``)."""

    def __init__(
        self,
        store: Store,
        *,
        policy: OutboxPolicy | None = None,
        clock: Clock | None = None,
        disk_free: Callable[[], int] | None = None,
    ) -> None:
        self.policy = policy or OutboxPolicy()
        self.clock = clock or SystemClock()
        self._store = store
        self._disk_free = disk_free or (lambda: 1 << 62)
        self._wlock = store.write_lock or threading.RLock()
        self._lease_lock = threading.Lock()
        self._arrived = threading.Condition()
        t = store.tallies()
        self._totals = _Totals(dict(t.pending), dict(t.pending_bytes), t.retained, t.retained_bytes)
        loaded = store.load_counters()
        self._counters = {name: int(loaded.get(name, 0)) for name in COUNTERS}
        self._dirty: set[str] = set()
        self._flushed_at = time.monotonic()
        self._leases = Leases()
        self._over_quota = False
        self._last_warn_us: int | None = None
        self._last_maintain_us = to_us(self.clock.now())
        # A group item: records, and whether their ids came from the caller
        # (only those can already be held; generated UUIDv7s cannot).
        self._committer: GroupCommitter[tuple[list[OutboxRecord], bool], list[OutboxRecord]] = (
            GroupCommitter(self._write_groups)
        )
        self._joined_writes = 0
        self._closed = False

    # -- producers ---------------------------------------------------------

    def put(
        self,
        kind: str,
        body: dict[str, Any],
        *,
        priority: str = "critical",
        record_id: str | None = None,
        born_at: datetime | None = None,
    ) -> OutboxRecord:
        """Record ``body``; returns only once the record is durably committed.

        Putting the same ``record_id`` again with the same content (kind,
        priority, born_at, body) returns the stored record; with different
        content it raises ``RecordInvalid`` (a producer that retries by id
        passes ``born_at`` too, else each try is born anew). Raises
        ``OutboxFull`` when free disk is under the policy's floor.
        """
        rec = make_record(
            kind,
            body,
            priority=priority,
            record_id=record_id,
            born_at=born_at,
            now=_UNSTAMPED,
            max_record_bytes=self.policy.max_record_bytes,
        )
        return self._submit(([rec], record_id is not None))[0]

    def put_many(self, items: Iterable[dict[str, Any]]) -> list[OutboxRecord]:
        """Put several records in one transaction; each item holds ``put``'s
        arguments by name (``kind``, ``body``, optional ``priority`` …)."""
        items_list = list(items)
        recs = [
            make_record(
                item["kind"],
                item["body"],
                priority=item.get("priority", "critical"),
                record_id=item.get("record_id"),
                born_at=item.get("born_at"),
                now=_UNSTAMPED,
                max_record_bytes=self.policy.max_record_bytes,
            )
            for item in items_list
        ]
        given = any(item.get("record_id") is not None for item in items_list)
        return self._submit((recs, given)) if recs else []

    def _submit(self, group: tuple[list[OutboxRecord], bool]) -> list[OutboxRecord]:
        if not self._store.joins_caller_transaction:
            return self._committer.submit(group)
        # In the caller's transaction: grouping with other threads' records
        # would commit them with this caller's step, or roll them back with it.
        with self._wlock:
            self._joined_writes += 1
            outcome = self._write_groups([group])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _write_groups(
        self, groups: Sequence[tuple[list[OutboxRecord], bool]]
    ) -> list[list[OutboxRecord] | BaseException]:
        self._check_open()
        with self._wlock:
            now = self.clock.now()
            now_us = to_us(now)
            free = self._disk_free()
            if free < self.policy.min_free_disk_bytes:
                n = sum(len(g) for g, _ in groups)
                self._bump("refused_disk_floor", n)
                msg = (
                    f"outbox refuses {n} record(s): {free} bytes of disk free, "
                    f"under the floor of {self.policy.min_free_disk_bytes} bytes"
                )
                log.error(msg)
                return [OutboxFull(msg)] * len(groups)
            # Records without a given birth time are born now, in the writer:
            # commit order and birth order then agree (lease order is commit order).
            flat = [r for g, _ in groups for r in g]
            for r in flat:
                if r.born_at == _UNSTAMPED:
                    # Not yet returned to anyone: this is the record's birth.
                    object.__setattr__(r, "born_at", now)
            may_exist = [given for g, given in groups for _ in g]
            with self._tx():
                inserted = self._store.insert(flat, may_exist)
                outcome: dict[int, OutboxRecord | BaseException] = {}
                new_critical = 0
                for i, (rec, fresh) in enumerate(zip(flat, inserted, strict=True)):
                    if fresh:
                        self._totals.pending[rec.priority] += 1
                        self._totals.pending_bytes[rec.priority] += rec.size
                        new_critical += rec.priority == "critical"
                        outcome[i] = rec
                        continue
                    held = self._store.get(rec.id)
                    if held is not None and held.same_content(rec):
                        outcome[i] = held
                    else:
                        outcome[i] = RecordInvalid(
                            f"record id {rec.id} is already used by a different record"
                        )
                self._bump("put", sum(inserted))
                if self._maintain_due(now_us):
                    self._maintain(now_us)
                self._enforce_quota(now_us, new_critical)
        with self._arrived:
            self._arrived.notify_all()
        results: list[list[OutboxRecord] | BaseException] = []
        i = 0
        for g, _ in groups:
            part = [outcome[j] for j in range(i, i + len(g))]
            i += len(g)
            err = next((o for o in part if isinstance(o, BaseException)), None)
            results.append(err if err is not None else part)  # type: ignore[arg-type]
        return results

    # -- the uplink --------------------------------------------------------

    def lease(self, max_records: int, max_bytes: int) -> list[OutboxRecord]:
        """``lease_pending`` as records (parsed body on demand, ``born_at`` a datetime)."""
        return [p.record() for p in self.lease_pending(max_records, max_bytes)]

    def lease_pending(self, max_records: int, max_bytes: int) -> list[Pending]:
        """The oldest unsent records not already leased, in commit order.

        Commit order is birth order for records put without ``born_at`` (they
        are stamped by the writer), and it survives wall-clock steps.

        Stops before ``max_records`` or ``max_bytes`` would be exceeded (a
        first record larger than ``max_bytes`` is still returned alone, so
        nothing can wedge the queue). A lease ends on ``ack``, ``release``,
        after ``policy.lease_timeout``, or when the process ends.
        """
        if max_records <= 0:
            return []
        self._check_open()
        now_us = to_us(self.clock.now())
        if self._maintain_due(now_us):
            with self._wlock, self._tx():
                self._maintain(now_us)
                self._enforce_quota(now_us, 0)
        # Reading needs no write lock when the store has a reader of its own
        # (SQLite WAL): producers keep committing while a batch is read.
        reading = self._lease_lock if self._store.concurrent_reads else self._wlock
        with reading:
            with self._wlock:
                self._leases.expire(now_us)
                after, skip, era = self._leases.read_plan()
            rows = self._store.pending_in_order(max_records + skip, after)
            until = now_us + _us(self.policy.lease_timeout)
            with self._wlock:
                return self._leases.take(rows, max_records, max_bytes, until, era)

    def ack(self, ids: Iterable[str]) -> int:
        """Mark records delivered; returns how many were unsent until now.

        Delivered records are deleted, or kept for ``policy.retain_acked``
        for local lookup. Unknown or already-acknowledged ids are ignored.
        """
        ids = list(dict.fromkeys(ids))
        if not ids:
            return 0
        self._check_open()
        with self._wlock:
            now_us = to_us(self.clock.now())
            keep = self.policy.retain_acked > timedelta(0)
            with self._tx():
                taken = self._take_pending(ids, now_us if keep else None)
                for priority, n in taken.count.items():
                    self._totals.pending[priority] -= n
                    self._totals.pending_bytes[priority] -= taken.size[priority]
                if keep:
                    self._totals.retained += len(taken.ids)
                    self._totals.retained_bytes += sum(taken.size.values())
                self._bump("acked", len(taken.ids))
                if self._maintain_due(now_us):
                    self._maintain(now_us)
                self._enforce_quota(now_us, 0)
            self._leases.end(ids, delivered=True)
            return len(taken.ids)

    def _take_pending(self, ids: list[str], acked_us: int | None) -> Taken:
        """Take ``ids`` out of the unsent records.

        Leased records are taken at their place (a range of the primary key,
        not an index look-up per id); the store removes a row only if it
        holds the id named for that place. Ids not found there (not leased,
        or their place forgotten) are looked up by id.
        """
        places = {rid: seq for rid in ids if (seq := self._leases.seq_of(rid)) is not None}
        taken = self._store.take_pending(places, acked_us) if places else Taken()
        if len(taken.ids) < len(ids):
            found = set(taken.ids)
            rest = [rid for rid in ids if rid not in found]
            taken.merge(self._store.take_pending(self._store.pending_seqs(rest), acked_us))
        return taken

    def release(self, ids: Iterable[str]) -> None:
        """End leases without delivery (a failed send): the records go out again."""
        with self._wlock:
            self._leases.end(ids, delivered=False)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for a commit; True when records are unsent."""
        with self._arrived:
            if self._pending_count() > len(self._leases):
                return True
            self._arrived.wait(timeout)
        return self._pending_count() > 0

    def wake(self) -> None:
        """Wake every ``wait``er (an uplink being stopped)."""
        with self._arrived:
            self._arrived.notify_all()

    # -- housekeeping ------------------------------------------------------

    def maintain(self) -> None:
        """Expire old telemetry and prune retained records now."""
        self._check_open()
        with self._wlock:
            now_us = to_us(self.clock.now())
            with self._tx():
                self._maintain(now_us)
                self._enforce_quota(now_us, 0)

    def _maintain_due(self, now_us: int) -> bool:
        return now_us - self._last_maintain_us >= _us(self.policy.maintain_every)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One store transaction; running totals roll back with it."""
        # Leases are not rolled back: a lease lost with a failed eviction only
        # means a record may be sent twice, which the cloud answers as duplicate.
        saved = (self._totals.copy(), dict(self._counters), set(self._dirty))

        def restore() -> None:
            self._totals = saved[0].copy()
            self._counters, self._dirty = dict(saved[1]), set(saved[2])
            self._leases.forget_place()

        try:
            flushed = False
            with self._store.transaction():
                # A joined store's host may still roll back after we return.
                self._store.on_rollback(restore)
                yield
                if self._dirty and (
                    self._dirty - _LAZY_COUNTERS
                    or time.monotonic() - self._flushed_at >= _LAZY_FLUSH_S
                ):
                    self._store.save_counters({k: self._counters[k] for k in self._dirty})
                    flushed = True
            if flushed:
                self._dirty = set()
                self._flushed_at = time.monotonic()
        except BaseException:
            restore()
            raise

    def _maintain(self, now_us: int) -> None:
        self._last_maintain_us = now_us
        if self.policy.telemetry_max_age is not None:
            rows = self._store.telemetry_born_before(now_us - _us(self.policy.telemetry_max_age))
            if rows:
                self._drop_pending(rows)
                self._bump("dropped_telemetry_expired", len(rows))
                log.info("outbox dropped %d telemetry record(s) past their maximum age", len(rows))
        if self._totals.retained:
            rows = self._store.retained_acked_before(now_us - _us(self.policy.retain_acked))
            if rows:
                self._store.delete(r.id for r in rows)
                self._totals.retained -= len(rows)
                self._totals.retained_bytes -= sum(r.size for r in rows)

    def _drop_pending(self, rows: list[Row]) -> None:
        self._store.delete(r.id for r in rows)
        for r in rows:
            self._totals.pending[r.priority] -= 1
            self._totals.pending_bytes[r.priority] -= r.size
        self._leases.end((r.id for r in rows), delivered=True)

    def _enforce_quota(self, now_us: int, new_critical: int) -> None:
        excess = self._totals.total_bytes - self.policy.quota_bytes
        while excess > 0 and self._totals.retained:
            rows = _take(self._store.oldest_retained(_CHUNK), excess)
            self._store.delete(r.id for r in rows)
            self._totals.retained -= len(rows)
            freed = sum(r.size for r in rows)
            self._totals.retained_bytes -= freed
            self._bump("evicted_retained", len(rows))
            excess -= freed
        dropped = 0
        while excess > 0 and self._totals.pending["telemetry"]:
            rows = _take(self._store.oldest_telemetry(_CHUNK), excess)
            self._drop_pending(rows)
            dropped += len(rows)
            excess -= sum(r.size for r in rows)
        if dropped:
            self._bump("dropped_telemetry_quota", dropped)
            log.warning("outbox over its quota: dropped the %d oldest telemetry record(s)", dropped)
        if excess > 0:
            self._bump("critical_over_quota", new_critical)
            repeat = self._last_warn_us is None or now_us - self._last_warn_us >= _us(
                self.policy.warn_every
            )
            if not self._over_quota or repeat:
                log.warning(
                    "outbox OVER QUOTA: critical records alone hold %d bytes, quota %d bytes; "
                    "critical records are never dropped, still accepting until free disk "
                    "falls under %d bytes. Restore the uplink or raise the quota.",
                    self._totals.total_bytes,
                    self.policy.quota_bytes,
                    self.policy.min_free_disk_bytes,
                )
                self._last_warn_us = now_us
            self._over_quota = True
        elif self._over_quota:
            log.warning("outbox back under its quota")
            self._over_quota = False
            self._last_warn_us = None

    def _bump(self, name: str, n: int) -> None:
        if n:
            self._counters[name] += n
            self._dirty.add(name)

    # -- looking --------------------------------------------------------

    def get(self, record_id: str) -> OutboxRecord | None:
        """A held record (unsent, or sent and retained), else None."""
        with self._wlock:
            return self._store.get(record_id)

    def stats(self) -> OutboxStats:
        with self._wlock:
            now = self.clock.now()
            oldest_us = self._store.oldest_pending_born_us()
            oldest = from_us(oldest_us) if oldest_us is not None else None
            free = self._disk_free()
            if free < self.policy.min_free_disk_bytes:
                health = "disk_floor"
                reason = (
                    f"{free} bytes of disk free, under the floor of "
                    f"{self.policy.min_free_disk_bytes}: new records are refused"
                )
            elif self._over_quota:
                health = "over_quota"
                reason = (
                    f"critical records alone hold {self._totals.total_bytes} bytes, over the "
                    f"quota of {self.policy.quota_bytes}: still accepting, never dropped"
                )
            else:
                health, reason = "ok", ""
            return OutboxStats(
                pending=self._pending_count(),
                pending_critical=self._totals.pending["critical"],
                pending_telemetry=self._totals.pending["telemetry"],
                pending_bytes=sum(self._totals.pending_bytes.values()),
                leased=len(self._leases),
                retained=self._totals.retained,
                retained_bytes=self._totals.retained_bytes,
                quota_bytes=self.policy.quota_bytes,
                oldest_pending_born_at=oldest,
                oldest_pending_age_s=(now - oldest).total_seconds() if oldest else None,
                health=health,
                health_reason=reason,
                commits=self._committer.groups + self._joined_writes,
                counters=dict(self._counters),
            )

    def _pending_count(self) -> int:
        return sum(self._totals.pending.values())

    def close(self) -> None:
        with self._wlock:
            if self._closed:
                return
            if self._dirty:
                with self._store.transaction():
                    self._store.save_counters({k: self._counters[k] for k in self._dirty})
            self._closed = True
            self._store.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("outbox is closed")

    def __enter__(self) -> OutboxCore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _us(d: timedelta) -> int:
    return d // timedelta(microseconds=1)


def _take(rows: list[Row], excess: int) -> list[Row]:
    """The first rows whose sizes cover ``excess`` bytes."""
    out: list[Row] = []
    for r in rows:
        if excess <= 0:
            break
        out.append(r)
        excess -= r.size
    return out
