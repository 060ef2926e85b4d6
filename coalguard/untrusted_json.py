"""JSON from outside (devices, gateways, uploads) parsed without ever raising a surprise.

``json.loads`` on hostile input can raise ``RecursionError`` (deep nesting),
``ValueError`` for integers over Python's 4,300-digit conversion limit, and
returns strings holding lone surrogates that later fail to encode (SQLite,
responses). ``load_untrusted`` turns each of these into ``UntrustedJson`` with
a reason a person can read and the HTTP status to answer with, so callers can
dead-letter the input instead of answering 500.
"""

from __future__ import annotations

import json
import math
from typing import Any

from coalguard.errors import InputError

MAX_DEPTH = 64  # arrays/objects inside each other; real documents use a handful


class UntrustedJson(InputError):
    """The body is not acceptable JSON; ``status`` is 400 (syntax), 413 or 422."""

    def __init__(self, reason: str, status: int = 422) -> None:
        self.reason = reason
        self.status = status
        super().__init__(reason)


def _finite(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"number {text[:40]} is out of range")
    return v


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_untrusted(body: bytes | str, max_bytes: int | None = None) -> Any:
    """Parse ``body``; raise ``UntrustedJson`` naming the first thing wrong."""
    if max_bytes is not None and len(body) > max_bytes:
        raise UntrustedJson(f"body larger than {max_bytes} bytes", 413)
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise UntrustedJson(f"body is not UTF-8 ({exc.reason} at byte {exc.start})", 400) from None
    try:
        doc = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise UntrustedJson(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise UntrustedJson(f"not JSON: {exc}", 400) from None
    except ValueError as exc:  # int over the digit limit, 1e999, NaN
        msg = str(exc)
        if "digits" in msg:
            msg = "integer with more than 4300 digits"
        raise UntrustedJson(f"number refused: {msg}") from None
    _check(doc)
    return doc


def _check(doc: Any) -> None:
    """Depth and strings, walked without recursion (the document may be hostile)."""
    stack: list[tuple[Any, int, str]] = [(doc, 1, "$")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            _text(value, path)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise UntrustedJson(f"JSON nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for k, v in items:
                if isinstance(k, str):
                    _text(k, path)
                stack.append(
                    (v, depth + 1, f"{path}.{k}" if isinstance(k, str) else f"{path}[{k}]")
                )


def _text(value: str, path: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UntrustedJson(
            f"{path[:200]}: text holds a lone surrogate (\\ud800-\\udfff)"
        ) from None
