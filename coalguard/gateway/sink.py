"""The one seam every gateway record goes through on its way to the cloud.

``RecordSink.put(record)`` takes a typed record (``coalguard.edge.records``:
the model knows its kind, schema version and priority) and is durable once
the caller's transaction commits. The running gateway's sink is the edge
outbox kept in the gateway database (``OutboxSink`` over ``gateway/outbox.py``);
``StoreSink`` is a plain table for tools and unit tests. Either way ``put``
joins the step's transaction: the step and its records commit together or
not at all. ``record_id`` and ``born_at`` keep their outbox meaning (a
producer that retries by id passes both). Every implementation passes one
contract suite (``tests/gateway/sink_contract.py``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from coalguard.edge.clock import Clock
from coalguard.edge.outbox import OutboxCore, OutboxRecord, RecordInvalid
from coalguard.edge.outbox.record import make_record, record_size
from coalguard.edge.records import Record, encode
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso, parse_iso


@runtime_checkable
class RecordSink(Protocol):
    def put(
        self, record: Record, *, record_id: str | None = None, born_at: datetime | None = None
    ) -> OutboxRecord:
        """Record ``record``; durable when the caller's transaction commits.

        Raises ``RecordInvalid`` for bad input or an id already used by other
        content (the same content again returns the held record).
        """
        ...


def dumps(body: Any) -> str:
    """Canonical JSON: the same body always gives the same text (ledger hashes rely on it)."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class OutboxSink:
    """Typed records into an edge outbox (the gateway's ``JoinedOutbox``)."""

    def __init__(self, outbox: OutboxCore) -> None:
        self.outbox = outbox

    def put(
        self, record: Record, *, record_id: str | None = None, born_at: datetime | None = None
    ) -> OutboxRecord:
        kind, priority, body = encode(record)
        return self.outbox.put(kind, body, priority=priority, record_id=record_id, born_at=born_at)

    def get(self, record_id: str) -> OutboxRecord | None:
        """The record with ``record_id``, or None."""
        return self.outbox.get(record_id)


class StoreSink:
    """Records kept in a plain ``records`` table of the gateway database.

    For tools and tests that run without an outbox. It keeps the sink
    contract (``tests/gateway/sink_contract.py``) like the outbox does: input
    checked by the outbox's own ``make_record``, the same id with the same
    content is a no-op, with other content a ``RecordInvalid``. It has no
    quota and no disk floor: those are the outbox's policy, not the seam's.
    """

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def put(
        self, record: Record, *, record_id: str | None = None, born_at: datetime | None = None
    ) -> OutboxRecord:
        encoded = encode(record)
        rec = make_record(
            encoded.kind,
            encoded.body,
            priority=encoded.priority,
            record_id=record_id,
            born_at=born_at,
            now=self.clock.now(),
        )
        with self.store.tx() as db:
            added = db.execute(
                "INSERT OR IGNORE INTO records(id, kind, priority, born_at, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (rec.id, rec.kind, rec.priority, iso(rec.born_at), rec.body_json),
            ).rowcount
            if added:
                return rec
            held = self.get(rec.id)
            if held is None or not held.same_content(rec):
                raise RecordInvalid(f"record id {rec.id} is already used by a different record")
            return held

    def get(self, record_id: str) -> OutboxRecord | None:
        """The record with ``record_id``, or None."""
        row = self.store.row(
            "SELECT id, kind, priority, born_at, body FROM records WHERE id = ?", (record_id,)
        )
        if row is None:
            return None
        return OutboxRecord(
            id=row[0],
            kind=row[1],
            priority=row[2],
            born_at=parse_iso(row[3]),
            body_json=row[4],
            size=record_size(row[1], row[4]),
        )

    def depth(self) -> int:
        return int(self.store.scalar("SELECT COUNT(*) FROM records") or 0)

    def kinds(self) -> dict[str, int]:
        rows = self.store.rows("SELECT kind, COUNT(*) FROM records GROUP BY kind")
        return {r[0]: r[1] for r in rows}
