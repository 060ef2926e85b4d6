"""The outbox record: born once at the edge, never mutated.

``make_record`` is the one place a record is validated and sized, so every
outbox implementation accepts and refuses exactly the same input.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal, NamedTuple

from coalguard.edge.outbox.micros import from_us, iso_utc
from coalguard.errors import InputError

Priority = Literal["critical", "telemetry"]
PRIORITIES: tuple[str, ...] = ("critical", "telemetry")
KIND_RE = re.compile(r"^[a-z][a-z0-9_.\-]{0,63}$")
# Bytes a record costs beyond its body (id, kind, times, index entries): an
# estimate so quotas count small records fairly.
RECORD_OVERHEAD = 96
DEFAULT_MAX_RECORD_BYTES = 1024 * 1024


class RecordInvalid(InputError):
    """A record handed to ``put`` is malformed; the message names the field."""


@dataclass(frozen=True)
class OutboxRecord:
    """One record waiting for (or delivered to) the cloud.

    ``body_json`` is the canonical JSON text stored and sent (the uplink
    splices it into the request without parsing it again); ``body`` is that
    text parsed, on first use. ``size`` is what the record counts against
    the outbox quota.
    """

    id: str
    kind: str
    priority: str
    born_at: datetime
    body_json: str
    size: int
    acked_at: datetime | None = None

    @cached_property
    def body(self) -> dict[str, Any]:
        return json.loads(self.body_json)

    def to_wire(self) -> dict[str, Any]:
        """The record as the batch endpoint expects it (see DESIGN: gateway → cloud)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "priority": self.priority,
            "born_at": self.born_at.isoformat(),
            "body": self.body,
        }

    def to_wire_json(self) -> str:
        """``to_wire()`` as JSON text, built around the stored body text (``wire_head``)."""
        head = wire_head(self.id, self.kind, self.priority, self.born_at.isoformat())
        return head + self.body_json + "}"

    def same_content(self, other: OutboxRecord) -> bool:
        """True when ``other`` is this record put again (idempotent retry)."""
        return (
            self.id == other.id
            and self.kind == other.kind
            and self.priority == other.priority
            and self.born_at == other.born_at
            and self.body_json == other.body_json
        )


class Pending(NamedTuple):
    """An unsent record as the uplink reads it: stored columns, no objects built.

    ``seq`` is its place in commit order (the outbox reads on from the last
    record leased, and acknowledges by place). ``body_utf8`` is the stored
    body text as its UTF-8 bytes, spliced into the request as it is. A
    catch-up reads hundreds of thousands of these: a tuple each, not a
    dataclass with a datetime, and no body decoded and encoded again.
    """

    seq: int
    id: str
    kind: str
    priority: str
    born_us: int
    body_utf8: bytes
    size: int

    def wire_bytes(self) -> bytes:
        """``OutboxRecord.to_wire_json()`` of this record, as UTF-8."""
        head = wire_head(self.id, self.kind, self.priority, iso_utc(self.born_us))
        return head.encode() + self.body_utf8 + b"}"

    def record(self) -> OutboxRecord:
        return OutboxRecord(
            id=self.id,
            kind=self.kind,
            priority=self.priority,
            born_at=from_us(self.born_us),
            body_json=self.body_utf8.decode(),
            size=self.size,
        )


def wire_head(record_id: str, kind: str, priority: str, born_at: str) -> str:
    """A record as the batch endpoint expects it (DESIGN: gateway → cloud), up to its
    body: the JSON text is that, the body's stored text, then ``}``.

    Spliced, not encoded: the body is stored as canonical JSON text, and the
    other parts need no escaping (the id is a UUID, kind and priority match
    ``KIND_RE``/``PRIORITIES``, the time is ISO 8601).
    """
    return (
        f'{{"id":"{record_id}","kind":"{kind}","priority":"{priority}",'
        f'"born_at":"{born_at}","body":'
    )


def encode_body(body: Any) -> str:
    """Canonical JSON of a body: sorted keys, no NaN/Infinity, UTF-8 kept."""
    if not isinstance(body, dict):
        raise RecordInvalid(f"body must be a JSON object, not {type(body).__name__}")
    try:
        return json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise RecordInvalid(f"body is not JSON-serialisable: {exc}") from None


def record_size(kind: str, body_json: str) -> int:
    return len(body_json.encode("utf-8")) + len(kind) + RECORD_OVERHEAD


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 version 7): unique like uuid4, but ids
    born one after another sit next to each other in an index, so a group
    commit dirties a few pages instead of one page per record."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62 | rand & (2**62 - 1)
    return str(uuid.UUID(int=value))


def normalise_id(record_id: str | None) -> str:
    if record_id is None:
        return uuid7()
    try:
        return str(uuid.UUID(str(record_id)))
    except ValueError:
        raise RecordInvalid(f"record_id {record_id!r} is not a UUID") from None


def make_record(
    kind: str,
    body: dict[str, Any],
    *,
    priority: str,
    record_id: str | None,
    born_at: datetime | None,
    now: datetime,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> OutboxRecord:
    """Validate the arguments of ``put`` and give the record its id and birth time."""
    if not isinstance(kind, str) or not KIND_RE.match(kind):
        raise RecordInvalid(
            f"kind {kind!r} must be 1-64 characters of a-z, 0-9, '_', '.', '-' "
            "starting with a letter"
        )
    if priority not in PRIORITIES:
        raise RecordInvalid(f"priority {priority!r} must be one of {', '.join(PRIORITIES)}")
    if born_at is None:
        born_at = now
    elif not isinstance(born_at, datetime) or born_at.tzinfo is None:
        raise RecordInvalid("born_at must be a timezone-aware datetime")
    body_json = encode_body(body)
    size = record_size(kind, body_json)
    if size > max_record_bytes:
        raise RecordInvalid(
            f"record of kind {kind!r} is {size} bytes; the limit is {max_record_bytes} bytes"
        )
    return OutboxRecord(
        id=normalise_id(record_id),
        kind=kind,
        priority=priority,
        born_at=born_at.astimezone(UTC),
        body_json=body_json,
        size=size,
    )
