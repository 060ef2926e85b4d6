"""Storage of gateway records: each id once, with per-id outcomes.

A record is stored once by its edge-born id. Sent again with the same
content (kind, priority, birth time, body) it is a ``duplicate`` (a safe
resend); with different content, or from another gateway, it is a
``conflict``: kept apart as a dead letter and
logged, never overwriting what was stored. Invalid records are ``rejected``
and dead-lettered with the reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator, UserDefinedType

from coalguard import json_text
from coalguard.cloud.db import Base
from coalguard.edge.uplink.wire import CheckedRecord, WireRecord
from coalguard.untrusted_json import storable_text

log = logging.getLogger("coalguard.cloud.batches")

_RAW_LIMIT = 64 * 1024
_IN_CHUNK = 500


class _JSONTextSqlite(TypeDecorator[Any]):
    """JSON kept as the canonical text it arrived as; read back as objects."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return json_text.loads(value) if isinstance(value, str) else value


class _JSONTextPostgres(UserDefinedType[Any]):
    """JSONB written from text already serialised (no second encoding)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSONB"

    def bind_processor(self, dialect: Dialect) -> Any:
        from psycopg.types.json import Jsonb

        def process(value: Any) -> Any:
            return None if value is None else Jsonb(value, dumps=_as_is)

        return process


def _as_is(text: str) -> str:
    return text


# Bind canonical JSON text; read a dict back. JSONB on PostgreSQL, TEXT on SQLite.
JSONText = _JSONTextSqlite().with_variant(_JSONTextPostgres(), "postgresql")


class GatewayRecordRow(Base):
    """A record as the edge made it; ``seq`` is the order of arrival."""

    __tablename__ = "gateway_records"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(36), unique=True)
    gateway_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    priority: Mapped[str] = mapped_column(String(16))
    born_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[dict[str, Any]] = mapped_column(JSONText)


class GatewayDeadLetterRow(Base):
    """A record the cloud could not store as sent: rejected or in conflict."""

    __tablename__ = "gateway_dead_letters"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    gateway_id: Mapped[str] = mapped_column(String(64), index=True)
    record_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Outcome(NamedTuple):
    """One record's outcome (a tuple: built for every record, half a frozen dataclass's cost)."""

    index: int
    id: str | None
    outcome: str
    reason: str | None = None
    born_at: datetime | None = None  # a stored record's birth at the gateway (ingest lag)

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "outcome": self.outcome, "reason": self.reason}


def explain(exc: ValidationError) -> str:
    """One line naming each bad field: ``born_at: input should have timezone info``."""
    parts = []
    for err in exc.errors(include_url=False):
        msg = err["msg"].removeprefix("Value error, ")
        where = ".".join(str(p) for p in err["loc"])
        if not where and msg.startswith("body"):  # a whole-record check names its field
            parts.append(msg)
            continue
        parts.append(f"{where or 'record'}: {msg}")
    return "; ".join(parts)


def raw_text(item: Any) -> str:
    """What was sent, as text to keep beside a dead letter (at most 64 KiB)."""
    try:
        text = json.dumps(item, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = f"<{type(item).__name__} that cannot be shown as JSON>"
    return storable_text(text[:_RAW_LIMIT])


def dead_letter_record(
    s: Session, rec: GatewayRecordRow, outcome: str, reason: str, received_at: datetime
) -> None:
    """Keep a stored record the cloud refuses to project, whole, with the reason."""
    s.add(
        GatewayDeadLetterRow(
            gateway_id=rec.gateway_id,
            record_id=rec.id,
            outcome=outcome,
            reason=reason,
            raw=raw_text(
                {
                    "id": rec.id,
                    "kind": rec.kind,
                    "priority": rec.priority,
                    "born_at": rec.born_at.isoformat(),
                    "body": rec.body,
                }
            ),
            received_at=received_at,
        )
    )


def dead_letter_request(
    engine: Engine, gateway_id: str, reason: str, raw: bytes, *, received_at: datetime
) -> None:
    """Keep a whole request the cloud could not read, with the reason it was refused."""
    text = raw[:_RAW_LIMIT].decode("utf-8", "backslashreplace")
    with engine.begin() as conn:
        conn.execute(
            GatewayDeadLetterRow.__table__.insert(),
            {
                "gateway_id": gateway_id,
                "record_id": None,
                "outcome": "rejected",
                "reason": storable_text(reason),
                "raw": storable_text(text),
                "received_at": received_at,
            },
        )
    log.warning("gateway %s: whole batch refused and dead-lettered: %s", gateway_id, reason)


class BatchRace(Exception):
    """Another request stored some of these ids meanwhile: the sender retries."""


_INSERT_COLS = "id, gateway_id, kind, priority, born_at, received_at, body"
_SQLITE_INSERT = (
    f"INSERT INTO gateway_records ({_INSERT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO NOTHING"
)
# PostgreSQL: one statement for the whole batch, its columns as arrays (an executemany
# runs one INSERT per row); ORDER BY keeps ``seq`` in the order of the batch. Arrays go
# in binary (%b): psycopg escapes text arrays character by character (200 us a body).
_PG_INSERT = (
    f"INSERT INTO gateway_records ({_INSERT_COLS}) "
    "SELECT r.id, %s, r.kind, r.priority, r.born_at, %s, r.body::jsonb FROM unnest("
    "%b::varchar[], %b::varchar[], %b::varchar[], %b::timestamptz[], %b::text[]) "
    "WITH ORDINALITY AS r(id, kind, priority, born_at, body, n) ORDER BY r.n "
    "ON CONFLICT (id) DO NOTHING"
)
_PG_HELD = (
    "SELECT id, gateway_id, kind, priority, born_at, body FROM gateway_records "
    "WHERE id = ANY(%b::varchar[])"
)


def _sqlite_time(t: datetime) -> str:
    """The naive-UTC text SQLAlchemy's DateTime binds on SQLite."""
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _held(conn: Connection, dialect: str, ids: list[str]) -> Iterator[Any]:
    """The stored rows of ``ids`` (id, gateway_id, kind, priority, born_at, body)."""
    if dialect == "postgresql":
        if ids:
            yield from conn.exec_driver_sql(_PG_HELD, (ids,))
        return
    t = GatewayRecordRow.__table__
    cols = (t.c.id, t.c.gateway_id, t.c.kind, t.c.priority, t.c.born_at, t.c.body)
    for k in range(0, len(ids), _IN_CHUNK):
        yield from conn.execute(select(*cols).where(t.c.id.in_(ids[k : k + _IN_CHUNK])))


def _insert(
    conn: Connection,
    dialect: str,
    gateway_id: str,
    now: datetime,
    fresh: list[tuple[int, WireRecord | CheckedRecord, str]],
) -> int:
    """Insert the new records in order, bound as driver values (SQLAlchemy's per-row
    type processing cost a third of the ingest); how many went in (fewer: a race)."""
    recs = [rec for _, rec, _ in fresh]
    if dialect == "postgresql":
        arrays = (
            [r.id for r in recs],
            [r.kind for r in recs],
            [r.priority for r in recs],
            [r.born_at for r in recs],
            [body for _, _, body in fresh],
        )
        return int(conn.exec_driver_sql(_PG_INSERT, (gateway_id, now, *arrays)).rowcount)
    at = _sqlite_time(now)
    params = [
        (r.id, gateway_id, r.kind, r.priority, _sqlite_time(r.born_at), at, body)
        for r, (_, _, body) in zip(recs, fresh, strict=True)
    ]
    return int(conn.exec_driver_sql(_SQLITE_INSERT, params).rowcount)


_BATCH = TypeAdapter(list[WireRecord])


def _validate(items: Sequence[Any], context: dict[str, Any] | None) -> list[WireRecord] | None:
    """The whole batch in one call when every record is valid (the usual case)."""
    try:
        return _BATCH.validate_python(items, context=context)
    except ValidationError:
        return None


def _same_record(row: Any, rec: WireRecord | CheckedRecord) -> bool:
    born = row.born_at if row.born_at.tzinfo else row.born_at.replace(tzinfo=UTC)
    return (
        row.kind == rec.kind
        and row.priority == rec.priority
        and born == rec.born_at
        and row.body == rec.body
    )


def store_batch(
    engine: Engine,
    gateway_id: str,
    items: Sequence[Any],
    *,
    max_record_bytes: int,
    received_at: datetime,
    context: dict[str, Any] | None = None,
    checked: Sequence[CheckedRecord] | None = None,
) -> list[Outcome]:
    """Validate and store ``items``; one outcome per item, in order.

    ``context``: what the reader of the batch knows of its text
    (``wire.known_finite``), passed to the record model. ``checked``: every item
    already found valid by ``wire.plain_records`` (the fast path), in order.

    Raises ``BatchRace`` when a concurrent request stored one of the ids
    between our look-up and our insert (nothing of this batch is kept).
    """
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise RuntimeError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")
    now = received_at
    outcomes: list[Outcome | None] = [None] * len(items)
    dead: list[dict[str, Any]] = []
    fresh: dict[str, tuple[int, WireRecord | CheckedRecord, str]] = {}  # id -> (index, rec, body)

    def reject(i: int, rid: str | None, outcome: str, reason: str) -> None:
        rid = None if rid is None else storable_text(rid)[:200]
        reason = storable_text(reason)
        outcomes[i] = Outcome(i, rid, outcome, reason)
        dead.append(
            {
                "gateway_id": gateway_id,
                "record_id": rid,
                "outcome": outcome,
                "reason": reason,
                "raw": raw_text(items[i]),
                "received_at": now,
            }
        )

    valid: Sequence[WireRecord | CheckedRecord] | None = (
        checked if checked is not None else _validate(items, context)
    )
    for i, item in enumerate(items):
        if valid is not None:
            rec = valid[i]
            body_json = rec.canonical_body()
        else:
            rid = item.get("id") if isinstance(item, dict) else None
            rid = rid if isinstance(rid, str) and len(rid) <= 200 else None
            try:
                rec = WireRecord.model_validate(item, context=context)
                body_json = rec.canonical_body()
            except ValidationError as exc:
                reject(i, rid, "rejected", explain(exc))
                continue
            except ValueError as exc:  # NaN/Infinity in the body
                reject(i, rid, "rejected", f"body: {exc}")
                continue
        # a character is at most 4 bytes of UTF-8: encode only text that may be over
        if 4 * len(body_json) > max_record_bytes and (
            len(body_json.encode("utf-8")) > max_record_bytes
        ):
            reject(i, rec.id, "rejected", f"body is over the limit of {max_record_bytes} bytes")
            continue
        if rec.id in fresh:
            _, first, first_body = fresh[rec.id]
            same = (first.kind, first.priority, first.born_at, first_body) == (
                rec.kind,
                rec.priority,
                rec.born_at,
                body_json,
            )
            if same:
                outcomes[i] = Outcome(i, rec.id, "duplicate")
            else:
                reject(i, rec.id, "conflict", "id used twice in this batch with different content")
            continue
        fresh[rec.id] = (i, rec, body_json)

    with engine.begin() as conn:
        for row in _held(conn, dialect, list(fresh)):
            i, rec, _ = fresh.pop(row.id)
            if row.gateway_id == gateway_id and _same_record(row, rec):
                outcomes[i] = Outcome(i, rec.id, "duplicate")
                continue
            why = (
                "id already stored with different content"
                if row.gateway_id == gateway_id
                else f"id already stored from gateway {row.gateway_id}"
            )
            reject(i, rec.id, "conflict", why)
            log.warning("gateway %s: record %s in conflict: %s", gateway_id, rec.id, why)
        if fresh:
            inserted = _insert(conn, dialect, gateway_id, now, list(fresh.values()))
            if inserted != len(fresh):
                raise BatchRace(f"{len(fresh) - inserted} record(s) stored concurrently")
            for rid, (i, rec, _) in fresh.items():
                outcomes[i] = Outcome(i, rid, "stored", born_at=rec.born_at)
        if dead:
            conn.execute(GatewayDeadLetterRow.__table__.insert(), dead)
    rejected = sum(1 for d in dead if d["outcome"] == "rejected")
    if rejected:
        log.warning("gateway %s: %d record(s) rejected", gateway_id, rejected)
    return [o for o in outcomes if o is not None]
