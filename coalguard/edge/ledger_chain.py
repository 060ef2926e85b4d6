"""The hash of a ledger entry: one definition for the gateway that chains and the cloud that checks.

A gateway's books are hash-chained (``coalguard.gateway.ledger``); the cloud
keeps a copy of every entry and recomputes the same hash, so both must agree
on the exact bytes hashed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical_body(body: Any) -> str:
    """The body text an entry's hash covers: sorted keys, compact, UTF-8 kept."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(
    book: str,
    seq: int,
    entry_id: str,
    at: str,
    operator: str,
    kind: str,
    body: str,
    corrects: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 over everything the entry says, ``body`` as its canonical text."""
    doc = [book, seq, entry_id, at, operator, kind, body, corrects, prev_hash]
    return hashlib.sha256(json.dumps(doc, ensure_ascii=False).encode("utf-8")).hexdigest()
