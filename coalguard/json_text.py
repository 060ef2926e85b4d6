"""JSON text in and out of the database, by orjson where it gives the same values.

The standard ``json`` module cost about a fifth of the projector's time (every
stored body read back, every JSON column written). orjson is several times
faster but differs in three places, each sent back to ``json`` here:

- reading, an integer outside 64 bits becomes a float: text with a run of 19
  digits or more is read by ``json``;
- writing, NaN and infinity become ``null``: output holding ``null`` is
  written again by ``json`` (which keeps what it always wrote);
- writing, what orjson refuses (an integer over 64 bits, a lone surrogate,
  a key that is not text, a type ``json`` refuses too) goes to ``json``,
  which writes it or raises as before.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_DIGITS = re.compile(rb"\d{19}")
_LONG_DIGITS_TEXT = re.compile(r"\d{19}")
# Types orjson writes and json refuses: handed to ``default`` and so to ``json``.
_ONLY_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _refuse(obj: Any) -> Any:
    raise TypeError(f"{type(obj).__name__} is not JSON")


def loads(text: str | bytes) -> Any:
    """``json.loads``, faster: the same values for any JSON text."""
    pattern = _LONG_DIGITS if isinstance(text, bytes | bytearray) else _LONG_DIGITS_TEXT
    if pattern.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # NaN, Infinity, a lone surrogate: json says what it makes of them
    return json.loads(text)


def dumps(obj: Any) -> str:
    """JSON text that reads back as ``json.dumps(obj)`` does (not the same spacing)."""
    try:
        out = orjson.dumps(obj, default=_refuse, option=_ONLY_JSON)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(obj)
    if b"null" in out:  # None, or NaN / infinity that orjson writes as null
        return json.dumps(obj)
    return out.decode()
