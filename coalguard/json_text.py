"""JSON text in and out of the database, by orjson where it gives the same values.

The standard ``json`` module cost about a fifth of the projector's time (every
stored body read back, every JSON column written). orjson is several times
faster but differs in three places, each sent back to ``json`` here:

- reading, an integer outside 64 bits becomes a float: text where a number may
  hold 19 digits in a row is read by ``json`` (``untrusted_json``'s byte search,
  which passes over digit runs inside hashes and ids);
- writing, NaN and infinity become ``null``: output holding ``null`` is
  written again by ``json`` when the value holds a float that is not finite;
- writing, what orjson refuses (an integer over 64 bits, a lone surrogate,
  a key that is not text, a type ``json`` refuses too) goes to ``json``,
  which writes it or raises as before.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson

from coalguard.untrusted_json import long_integer_may_be_in

# Types orjson writes and json refuses: handed to ``default`` and so to ``json``.
_ONLY_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _refuse(obj: Any) -> Any:
    raise TypeError(f"{type(obj).__name__} is not JSON")


def loads(text: str | bytes) -> Any:
    """``json.loads``, faster: the same values for any JSON text."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if not long_integer_may_be_in(raw):  # a byte search; digit runs inside hashes pass
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
    if b"null" in out and _holds(obj, _not_finite):  # orjson wrote NaN / infinity as null
        return json.dumps(obj)
    return out.decode()


def canonical(obj: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``, the
    same text, by orjson when it writes the same bytes: plain dicts with text keys, lists,
    text, integers, booleans, None, and floats that ``repr`` writes without an exponent
    (orjson writes 1e-05 as 0.00001). Anything else is written by ``json``."""
    if not _holds(obj, _not_canonical):
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:  # an integer past 64 bits, a lone surrogate
            pass
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _holds(obj: Any, odd: Callable[[float], bool]) -> bool:
    """Whether ``obj`` (plain dicts, lists, tuples, walked without recursion) holds a float
    that is ``odd`` or a leaf of another type than text, integer, boolean or None. Leaves
    are checked inline: a call per leaf doubled the cost. Keys are not: orjson refuses a
    key that is not text (``JSONEncodeError``), and the caller then asks ``json``."""
    stack = [obj]
    pop, push = stack.pop, stack.extend
    while stack:
        value = pop()
        kind = type(value)
        if kind is str or kind is int or value is None or kind is bool:
            continue
        if kind is dict:
            push(value.values())
        elif kind is list or kind is tuple:
            push(value)
        elif kind is not float or odd(value):
            return True
    return False


def _not_finite(value: float) -> bool:
    return value != value or value in (math.inf, -math.inf)


def _not_canonical(value: float) -> bool:
    """A float orjson may write otherwise than ``repr``: in exponent form (or not finite)."""
    return not (value == 0 or 1e-4 <= abs(value) < 1e16)
