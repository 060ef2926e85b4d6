"""The one seam every gateway record goes through on its way to the cloud.

``RecordSink.put(record)`` takes a typed record (``coalguard.edge.records``:
the model knows its kind, schema version and priority) and is durable once
the caller's transaction commits. The running gateway's sink is the edge
outbox kept in the gateway database (``OutboxSink`` over ``gateway/outbox.py``);
``StoreSink`` is a plain table for tools and unit tests. Either way ``put``
joins the step's transaction: the step and its records commit together or
not at all. ``record_id`` and ``born_at`` keep their outbox meaning (a
producer that retries by id passes both).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from coalguard.edge.outbox import OutboxCore
from coalguard.edge.records import Record, encode
from coalguard.gateway.clock import Clock, iso
from coalguard.gateway.store import Store


@runtime_checkable
class RecordSink(Protocol):
    def put(
        self, record: Record, *, record_id: str | None = None, born_at: datetime | None = None
    ) -> Any: ...


def dumps(body: Any) -> str:
    """Canonical JSON: the same body always gives the same text (ledger hashes rely on it)."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class OutboxSink:
    """Typed records into an edge outbox (the gateway's ``JoinedOutbox``)."""

    def __init__(self, outbox: OutboxCore) -> None:
        self.outbox = outbox

    def put(
        self, record: Record, *, record_id: str | None = None, born_at: datetime | None = None
    ) -> str:
        kind, priority, body = encode(record)
        stored = self.outbox.put(
            kind, body, priority=priority, record_id=record_id, born_at=born_at
        )
        return stored.id


class StoreSink:
    """Records kept in the gateway's own database (tools and tests without an outbox)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def put(
        self, record: Record, *, record_id: str | None = None, born_at: datetime | None = None
    ) -> str:
        kind, priority, body = encode(record)
        rid = record_id or str(uuid.uuid4())
        born = iso(born_at or self.clock.now())
        with self.store.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO records(id, kind, priority, born_at, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (rid, kind, priority, born, dumps(body)),
            )
        return rid

    def depth(self) -> int:
        return int(self.store.scalar("SELECT COUNT(*) FROM records") or 0)

    def kinds(self) -> dict[str, int]:
        rows = self.store.rows("SELECT kind, COUNT(*) FROM records GROUP BY kind")
        return {r[0]: r[1] for r in rows}
