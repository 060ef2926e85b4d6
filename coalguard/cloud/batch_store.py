"""Storage of gateway records: each id once, with per-id outcomes.

A record is stored once by its edge-born id. Sent again with the same
content it is a ``duplicate`` (a safe resend); with different content, or
from another gateway, it is a ``conflict``: kept apart as a dead letter and
logged, never overwriting what was stored. Invalid records are ``rejected``
and dead-lettered with the reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base
from coalguard.edge.uplink.wire import WireRecord

log = logging.getLogger("coalguard.cloud.batches")

_RAW_LIMIT = 64 * 1024
_IN_CHUNK = 500


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
    body: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(postgresql.JSONB(), "postgresql")
    )
    digest: Mapped[str] = mapped_column(String(64))


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


@dataclass(frozen=True)
class Outcome:
    index: int
    id: str | None
    outcome: str
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "outcome": self.outcome, "reason": self.reason}


def explain(exc: ValidationError) -> str:
    """One line naming each bad field: ``born_at: input should have timezone info``."""
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _raw(item: Any) -> str:
    try:
        text = json.dumps(item, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(item)
    return text[:_RAW_LIMIT]


def _insert(engine: Engine):  # type: ignore[no-untyped-def]
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(GatewayRecordRow.__table__)
    if dialect == "sqlite":
        return sqlite.insert(GatewayRecordRow.__table__)
    raise RuntimeError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


def store_batch(
    engine: Engine, gateway_id: str, items: Sequence[Any], *, max_record_bytes: int
) -> list[Outcome]:
    """Validate and store ``items``; one outcome per item, in order."""
    now = datetime.now(UTC)
    outcomes: list[Outcome | None] = [None] * len(items)
    dead: list[dict[str, Any]] = []
    fresh: dict[str, tuple[int, WireRecord, str]] = {}  # id -> (index, record, digest)
    rows: list[dict[str, Any]] = []

    def reject(i: int, rid: str | None, outcome: str, reason: str) -> None:
        outcomes[i] = Outcome(i, rid, outcome, reason)
        dead.append(
            {
                "gateway_id": gateway_id,
                "record_id": rid,
                "outcome": outcome,
                "reason": reason,
                "raw": _raw(items[i]),
                "received_at": now,
            }
        )

    for i, item in enumerate(items):
        rid = item.get("id") if isinstance(item, dict) else None
        rid = rid if isinstance(rid, str) and len(rid) <= 200 else None
        try:
            rec = WireRecord.model_validate(item)
            body_json = rec.canonical_body()
        except ValidationError as exc:
            reject(i, rid, "rejected", explain(exc))
            continue
        except ValueError as exc:  # NaN/Infinity in the body
            reject(i, rid, "rejected", f"body: {exc}")
            continue
        if len(body_json.encode("utf-8")) > max_record_bytes:
            reject(i, rec.id, "rejected", f"body is over the limit of {max_record_bytes} bytes")
            continue
        digest = rec.digest(body_json)
        if rec.id in fresh:
            first = fresh[rec.id]
            if first[2] == digest:
                outcomes[i] = Outcome(i, rec.id, "duplicate")
            else:
                reject(i, rec.id, "conflict", "id used twice in this batch with different content")
            continue
        fresh[rec.id] = (i, rec, digest)
        rows.append(
            {
                "id": rec.id,
                "gateway_id": gateway_id,
                "kind": rec.kind,
                "priority": rec.priority,
                "born_at": rec.born_at.astimezone(UTC),
                "received_at": now,
                "body": rec.body,
                "digest": digest,
            }
        )

    with engine.begin() as conn:
        stored: set[str] = set()
        if rows:
            stmt = _insert(engine).on_conflict_do_nothing(index_elements=["id"])
            stmt = stmt.returning(GatewayRecordRow.__table__.c.id)
            stored = set(conn.execute(stmt, rows).scalars())
        held = [rid for rid in fresh if rid not in stored]
        known: dict[str, tuple[str, str]] = {}
        t = GatewayRecordRow.__table__
        for k in range(0, len(held), _IN_CHUNK):
            part = held[k : k + _IN_CHUNK]
            for rid, gw, dg in conn.execute(
                select(t.c.id, t.c.gateway_id, t.c.digest).where(t.c.id.in_(part))
            ):
                known[rid] = (gw, dg)
        for rid, (i, _rec, digest) in fresh.items():
            if rid in stored:
                outcomes[i] = Outcome(i, rid, "stored")
                continue
            gw, dg = known.get(rid, (None, None))
            if gw == gateway_id and dg == digest:
                outcomes[i] = Outcome(i, rid, "duplicate")
            elif gw is None:  # cannot happen inside one transaction; be loud if it does
                reject(i, rid, "rejected", "not stored (database refused it)")
            else:
                why = (
                    "id already stored with different content"
                    if gw == gateway_id
                    else f"id already stored from gateway {gw}"
                )
                reject(i, rid, "conflict", why)
                log.warning("gateway %s: record %s in conflict: %s", gateway_id, rid, why)
        if dead:
            conn.execute(GatewayDeadLetterRow.__table__.insert(), dead)
    rejected = sum(1 for d in dead if d["outcome"] == "rejected")
    if rejected:
        log.warning("gateway %s: %d record(s) rejected", gateway_id, rejected)
    return [o for o in outcomes if o is not None]
