"""The hash of a ledger entry: one definition for the gateway that chains and the cloud that checks.

A gateway's books are hash-chained (``coalguard.gateway.ledger``); the cloud
keeps a copy of every entry and recomputes the same hash, so both must agree
on the exact bytes hashed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

from coalguard import json_text

GENESIS = "0" * 64


def canonical_body(body: Any) -> str:
    """The body text an entry's hash covers: sorted keys, compact, UTF-8 kept."""
    return json_text.canonical(body)


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
    return hashlib.sha256(_hashed_text(doc).encode("utf-8")).hexdigest()


def _hashed_text(doc: list[Any]) -> str:
    """``json.dumps(doc, ensure_ascii=False)``: orjson writes each plain item the same way;
    the ", " between items is ``json``'s default separator."""
    if all(type(x) in _PLAIN for x in doc):
        try:
            return "[" + ", ".join(orjson.dumps(x).decode() for x in doc) + "]"
        except orjson.JSONEncodeError:  # an integer past 64 bits, a lone surrogate
            pass
    return json.dumps(doc, ensure_ascii=False)


_PLAIN = frozenset({str, int, bool, type(None)})
