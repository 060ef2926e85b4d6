"""JSON from outside (devices, gateways, uploads) read without ever raising a surprise.

The one home for reading untrusted JSON: the camera push, the cloud's batch
ingest, the CO alarm codec and ``coalguard verdict`` all read through here.
``json.loads`` on hostile input raises ``RecursionError`` (deep nesting) and
``ValueError`` (integers over Python's 4,300-digit conversion limit), and
returns NaN, infinities and strings with lone surrogates or NUL that later
fail to store or encode. Here each of these is ``UntrustedJson``: one typed
error with a ``code``, the path of the offending value and a reason, so a
caller can refuse or dead-letter the input instead of answering 500.

Two steps, so a caller can judge parts of a document alone (the cloud rejects
one record of a batch, not the batch): ``parse`` refuses only what makes the
whole text unreadable and keeps an over-long integer as ``OversizedInt``;
``check`` walks a parsed value (iteratively, any depth) and reports the first
offending path in document order. ``loads`` is both at once.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from coalguard.errors import InputError
from coalguard.i18n import t

MAX_DEPTH = 64  # arrays/objects inside each other; real documents use a handful
MAX_INT_DIGITS = 4300  # Python's own int/str conversion limit
_PATH_MAX = 200  # characters of a path quoted in a reason (keys may be hostile)

Code = Literal["size", "encoding", "syntax", "depth", "integer", "number", "surrogate", "nul"]
# Words a person reads (``UntrustedJson.text``), from the locale catalogs.
_WORDS: dict[str, str] = {
    "size": "untrusted_json.too_large",
    "encoding": "untrusted_json.not_utf8",
    "syntax": "untrusted_json.not_json",
    "depth": "datafile.too_deep",
    "integer": "datafile.huge_integer",
    "number": "datafile.not_finite",
    "surrogate": "untrusted_json.lone_surrogate",
    "nul": "untrusted_json.nul",
}


@dataclass(frozen=True)
class Limits:
    """What a reader accepts; each user states its own (the CO codec nests at most 16).

    ``max_bytes`` bounds the input as given (bytes, or characters for text).
    """

    max_depth: int = MAX_DEPTH
    max_int_digits: int = MAX_INT_DIGITS
    allow_non_finite: bool = False
    allow_nul: bool = False
    max_bytes: int | None = None


LIMITS = Limits()


class UntrustedJson(InputError):
    """The JSON is not acceptable; ``code`` says which way.

    ``reason`` is ``"<path>: <detail>"`` in English, for logs, dead letters and
    machine replies; ``text()`` is for a person. ``loc`` is the path below the
    checked value (None when the whole text is unreadable); ``key`` is the
    offending key of the object at ``loc`` when the fault is in a key.
    ``status``: 400 (syntax, encoding), 413 (size), 422.
    """

    def __init__(
        self,
        code: Code,
        detail: str,
        *,
        loc: tuple[str | int, ...] | None = None,
        root: str = "$",
        key: str | None = None,
        status: int = 422,
    ) -> None:
        self.path = render_path(root, loc) if loc is not None else None
        head = self.path if self.path is not None else _HEADS.get(code)
        self.reason = f"{head}: {detail}" if head else detail
        super().__init__(self.reason)
        self.code = code
        self.detail = detail
        self.status = status
        self.loc = loc
        self.key = key
        self.in_key = key is not None

    def text(self, lang: str | None = None) -> str:
        """What is wrong, for a person, without the path (the caller names the field)."""
        words = t(_WORDS[self.code], lang)
        return t("untrusted_json.in_key", lang).format(what=words) if self.in_key else words


_HEADS = {"syntax": "not JSON", "encoding": "not UTF-8"}


class OversizedInt:
    """Stands for a JSON integer too long to convert; ``check`` refuses it with its path."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __str__(self) -> str:
        return f"<integer of {self.digits} digits>"


def render_path(root: str, loc: tuple[str | int, ...]) -> str:
    """``body.records[3].name``: keys dotted, indices bracketed, printable, shortened."""
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = printable(part[:_PATH_MAX])
            out += f".{key}" if out else key
        if len(out) > _PATH_MAX:
            return out[: _PATH_MAX - 1] + "…"
    return out


def printable(text: str) -> str:
    """``text`` with each unprintable character (control, lone surrogate) as ``\\uXXXX``."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def storable_text(text: str) -> str:
    """``text`` any database column and JSON response holds: lone surrogates and NUL escaped.

    For keeping what was refused (a reason, a raw body) beside a dead letter.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\x00")


def _int(text: str) -> int | OversizedInt:
    digits = len(text.lstrip("-"))
    return OversizedInt(digits) if digits > MAX_INT_DIGITS else int(text)


def parse(data: bytes | str, limits: Limits = LIMITS) -> Any:
    """The parsed text; raise ``UntrustedJson`` only when the whole text cannot be read.

    Size (413), UTF-8 and syntax (400), and nesting too deep to parse (422) are
    refused here; values (over-long integers as ``OversizedInt``, NaN, text) are
    left for ``check``, which names their path.
    """
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise UntrustedJson("size", f"larger than {limits.max_bytes} bytes", status=413)
    try:  # surrogatepass, as json.loads does: an encoded surrogate is judged by ``check``
        text = data.decode("utf-8", "surrogatepass") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise UntrustedJson("encoding", f"{exc.reason} at byte {exc.start}", status=400) from None
    parse_int: Any = None  # the C parser first; the slower hook only when an int is too long
    while True:
        try:
            return json.loads(text, parse_int=parse_int)
        except RecursionError:
            raise UntrustedJson("depth", f"nested deeper than {limits.max_depth} levels") from None
        except json.JSONDecodeError as exc:
            detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            raise UntrustedJson("syntax", detail, status=400) from None
        except ValueError as exc:  # an integer over Python's conversion limit
            if parse_int is not None:
                raise UntrustedJson("syntax", str(exc)[:200], status=400) from None
            parse_int = _int


# A run of 19 digits may be an integer past 64 bits, which orjson reads as a float.
# Digits as "0" then a substring search: a tenth of a ``\d{19}`` regular expression.
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19
_NOT_ZERO = re.compile(rb"[^0]")
_IN_A_WORD = frozenset(b'0123456789.-"_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')


def number_token_at(raw: bytes, end: int) -> bool:
    """Whether the digits ending at ``end`` start a JSON number token (not "7181e368" in
    a hex hash): the byte before its digits, point and sign is no letter, digit or quote.

    A number token follows ``[ , :``, white space or nothing, so it is never missed;
    text that merely looks like one (after a space in a string) is a false alarm only.
    """
    i = end
    while i > 0 and raw[i - 1] in b"0123456789.":
        i -= 1
    if i > 0 and raw[i - 1] == 0x2D:  # "-"
        i -= 1
    return i == 0 or raw[i - 1] not in _IN_A_WORD


def long_integer_may_be_in(data: bytes) -> bool:
    """Whether a number token of ``data`` may hold 19 digits in a row; runs inside
    hex hashes and ids (after a letter or a quote) are passed over."""
    zeros = data.translate(_DIGITS_AS_ZEROS)
    at = zeros.find(_LONG_RUN)
    while at != -1:
        if number_token_at(data, at):
            return True
        end = _NOT_ZERO.search(zeros, at)
        if end is None:
            return False
        at = zeros.find(_LONG_RUN, end.start())
    return False


def parse_fast(data: bytes) -> Any | None:
    """What ``parse`` reads from ``data``, by orjson (several times faster), or None
    where orjson cannot speak for ``parse``: the caller then calls ``parse``.

    None for text with a number of 19 digits in a row (orjson reads an integer past
    64 bits as a float) and for all orjson refuses: NaN, infinities (``1e400``), lone
    surrogates, bad UTF-8, a BOM, syntax, nesting past 1,024 levels. Whatever it
    reads, ``parse`` reads as the same values. Depth is the caller's: ``parse``
    refuses nesting at Python's recursion limit (under 1,000 levels, less deep in
    the stack), orjson at 1,024, so a caller accepts a fast result only when it
    bounds the depth itself (the batch ingest: every body at most 64 levels).
    """
    if long_integer_may_be_in(data):
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def check(value: Any, limits: Limits = LIMITS, *, root: str = "$") -> None:
    """Raise ``UntrustedJson`` for the first value (document order) ``limits`` refuse.

    Iterative, so a hostile depth cannot exhaust the stack. ``root`` names the
    value in the reason (``body`` gives ``body.n: …``).
    """
    huge = 10**limits.max_int_digits if limits.max_int_digits < MAX_INT_DIGITS else None
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        v, loc = stack.pop()
        if isinstance(v, str):
            _text(v, limits, loc, root)
        elif isinstance(v, dict | list):
            if len(loc) >= limits.max_depth:
                detail = f"nested deeper than {limits.max_depth} levels"
                raise UntrustedJson("depth", detail, loc=loc, root=root)
            if isinstance(v, dict):
                for k in v:
                    if isinstance(k, str):
                        _text(k, limits, loc, root, key=k)
                stack.extend((v[k], (*loc, k)) for k in reversed(list(v)))
            else:
                stack.extend((v[i], (*loc, i)) for i in range(len(v) - 1, -1, -1))
        elif isinstance(v, float):
            if not limits.allow_non_finite and not math.isfinite(v):
                literal = "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
                detail = f"{literal} is not a finite number"
                raise UntrustedJson("number", detail, loc=loc, root=root)
        elif isinstance(v, OversizedInt) or (
            huge is not None and isinstance(v, int) and not isinstance(v, bool) and abs(v) >= huge
        ):
            digits = v.digits if isinstance(v, OversizedInt) else len(str(abs(v)))
            limit = limits.max_int_digits
            detail = f"integer of {digits} digits is over the limit of {limit} digits"
            raise UntrustedJson("integer", detail, loc=loc, root=root)


def loads(data: bytes | str, limits: Limits = LIMITS, *, root: str = "$") -> Any:
    """``parse`` then ``check``: a value within ``limits``, or ``UntrustedJson``."""
    doc = parse(data, limits)
    check(doc, limits, root=root)
    return doc


def _text(
    text: str, limits: Limits, loc: tuple[str | int, ...], root: str, key: str | None = None
) -> None:
    what = "text" if key is None else "key text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end].encode("utf-8", "backslashreplace").decode()
        detail = f"{what} is not valid Unicode (lone surrogate {bad})"
        raise UntrustedJson("surrogate", detail, loc=loc, root=root, key=key) from None
    if not limits.allow_nul and "\x00" in text:
        detail = f"{what} holds a NUL character (\\u0000), which cannot be stored"
        raise UntrustedJson("nul", detail, loc=loc, root=root, key=key)
