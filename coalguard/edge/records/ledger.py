"""``ledger.entry``: one hash-chained ledger entry, copied to the cloud (duty, handover, …)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from coalguard.edge.records.base import Record, register

_HASH = r"^[0-9a-f]{64}$"


@register
class LedgerEntryRecord(Record):
    """The entry's id is the record id; ``body`` is hashed as the gateway wrote it."""

    KIND = "ledger.entry"

    book: str = Field(min_length=1, max_length=32)
    seq: int = Field(ge=1, lt=2**62, strict=True)
    at: str = Field(min_length=1, max_length=64)
    operator: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=64)
    body: dict[str, Any]
    corrects: str | None = Field(max_length=64)
    prev_hash: str = Field(pattern=_HASH)
    hash: str = Field(pattern=_HASH)
