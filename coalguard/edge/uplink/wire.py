"""The gateway → cloud batch contract (DESIGN: "Gateway → cloud"), version 1.

Request: ``POST /api/v1/gateways/{gateway_id}/batches`` with
``Authorization: Bearer <token>`` and ``{"records": [<record>, ...]}``, where
a record is ``{"id": uuid, "kind": str, "priority": "critical"|"telemetry",
"born_at": ISO 8601 with zone, "body": object}``.

Response 200: ``{"results": [{"index": i, "id": str|null, "outcome":
"stored"|"duplicate"|"rejected"|"conflict", "reason": str|null}], "counts":
{...}}``, one result per record in request order. The sender may forget a
record once it has any outcome: stored and duplicate mean the cloud holds it;
rejected and conflict mean the cloud kept it as a dead letter with the reason.
Whole-request errors: 401 (unknown gateway or wrong token), 413 (over a named
limit), 422 (not JSON, or not the shape above), 429/503 (come back later,
``Retry-After``).

Limits of a record (each breach rejects that record alone, with the reason):
``born_at`` must be a time UTC can hold (years 1-9999 after the offset is
applied); a body nests at most ``MAX_BODY_DEPTH`` levels, holds integers of
at most ``MAX_INT_DIGITS`` digits, only finite numbers and only valid Unicode
text without NUL (lone surrogates such as ``"\\ud800"`` are refused: they
cannot be stored). The checks are ``coalguard.untrusted_json`` with
``BODY_LIMITS``; the reason names the path (``body.n: …``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NamedTuple

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from coalguard.untrusted_json import Limits, UntrustedJson, check, number_token_at

BATCH_PATH = "/api/v1/gateways/{gateway_id}/batches"
GATEWAY_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{3,64}$")
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
KIND_PATTERN = r"^[a-z][a-z0-9_.\-]{0,63}$"
PRIORITIES: tuple[str, ...] = ("critical", "telemetry")
OUTCOMES: tuple[str, ...] = ("stored", "duplicate", "rejected", "conflict")
MAX_BODY_DEPTH = 64
BODY_LIMITS = Limits(max_depth=MAX_BODY_DEPTH)  # NaN, NUL, lone surrogates, huge ints refused


# Where a number may not be finite once parsed: NaN/Infinity, an exponent of three digits
# or more on a number token, or a run of 100 digits (1e99 with 99 digits is finite).
# Byte searches on the batch with its digits as "0": a regular expression cost more
# than the fast encoder saves.
_AS_ZEROS = bytes.maketrans(b"123456789E", b"000000000e")
_BIG_EXPONENTS = (b"0e000", b"0e+000")
FINITE = "finite"  # validation context: the batch holds no NaN or infinite number


def known_finite(raw: bytes) -> dict[str, bool]:
    """The validation context of a batch read from ``raw``: ``finite`` when no number in
    it can parse as NaN or infinity (then a body's canonical text takes the fast encoder)."""
    zeros = raw.translate(_AS_ZEROS)
    if b"NaN" in raw or b"Infinity" in raw or b"0" * 100 in zeros:
        return {FINITE: False}
    for pattern in _BIG_EXPONENTS:
        at = zeros.find(pattern)
        while at != -1:
            if number_token_at(raw, at + 1):
                return {FINITE: False}
            at = zeros.find(pattern, at + 1)
    return {FINITE: True}


def _fast_text(body: dict[str, Any]) -> str | None:
    """The canonical text by orjson (a sixth of ``json.dumps``' cost), or None where it
    cannot speak for the body (an integer over 64 bits, a lone surrogate)."""
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plainly_storable(text: str) -> bool:
    """Whether a body's canonical text is surely within ``BODY_LIMITS`` without a walk:
    no deeper than ``MAX_BODY_DEPTH`` (fewer brackets than that), no NUL, valid Unicode."""
    return (
        text.count("{") + text.count("[") <= MAX_BODY_DEPTH
        and "\\u0000" not in text
        and _encodes(text)
    )


class WireRecord(BaseModel):
    """One record as sent; the cloud validates each alone."""

    model_config = ConfigDict(extra="forbid")

    # A UUID in its canonical lowercase text form (as the edge writes it).
    id: Annotated[StrictStr, Field(pattern=UUID_PATTERN)]
    kind: Annotated[StrictStr, Field(pattern=KIND_PATTERN)]
    priority: Literal["critical", "telemetry"]
    born_at: Annotated[AwareDatetime, Field(strict=False)]
    body: dict[str, Any]

    @field_validator("born_at")
    @classmethod
    def _born_at_in_utc_range(cls, v: datetime) -> datetime:
        try:
            v.astimezone(UTC)
        except OverflowError:
            raise ValueError(
                f"{v.isoformat()} is outside the times UTC can hold (years 1-9999)"
            ) from None
        return v

    _body_json: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _body_storable(self, info: ValidationInfo) -> WireRecord:
        """Canonical text made once; the slow walk runs only to name what is wrong.

        orjson writes NaN as ``null``: it is used only when the batch's text holds
        no number that can parse as NaN or infinity (``known_finite``).
        """
        text = _fast_text(self.body) if info.context and info.context.get(FINITE) else None
        if text is None:
            try:
                text = json.dumps(
                    self.body,
                    sort_keys=True,
                    separators=(",", ":"),
                    ensure_ascii=False,
                    allow_nan=False,
                )
            except (TypeError, ValueError, RecursionError):  # OversizedInt, NaN, depth
                text = None
        if text is None or not _plainly_storable(text):
            try:
                check(self.body, BODY_LIMITS, root="body")
            except UntrustedJson as exc:
                raise ValueError(exc.reason) from None
            if text is None:
                raise ValueError("body: not JSON")
        self._body_json = text
        return self

    def canonical_body(self) -> str:
        if self._body_json is None:
            raise ValueError("body: not validated")
        return self._body_json


# Fast path of the batch ingest: the envelope checked by hand where the answer is plain.
# Python's "$" also matches before a final newline; pydantic's patterns do not: fullmatch.
_UUID = re.compile(UUID_PATTERN.removeprefix("^").removesuffix("$"))
_KIND = re.compile(KIND_PATTERN.removeprefix("^").removesuffix("$"))
# The ISO 8601 subset ``datetime.fromisoformat`` and pydantic read as the same instant and
# offset (property-tested); any other text goes to ``WireRecord``.
_PLAIN_TIME = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
_FIELDS = frozenset(("id", "kind", "priority", "born_at", "body"))


class CheckedRecord(NamedTuple):
    """A record ``plain_records`` found valid: what ``WireRecord`` would hold for it
    (a tuple: a frozen dataclass cost 1 us a record to build)."""

    id: str
    kind: str
    priority: str
    born_at: datetime
    body: dict[str, Any]
    body_json: str

    def canonical_body(self) -> str:
        return self.body_json


def _plain_record(item: Any) -> CheckedRecord | None:
    if type(item) is not dict or item.keys() != _FIELDS:
        return None
    rid, kind, priority, born, body = (
        item["id"],
        item["kind"],
        item["priority"],
        item["born_at"],
        item["body"],
    )
    if (
        type(rid) is not str
        or type(kind) is not str
        or type(priority) is not str
        or type(born) is not str
        or type(body) is not dict
        or priority not in PRIORITIES
        or _UUID.fullmatch(rid) is None
        or _KIND.fullmatch(kind) is None
        or _PLAIN_TIME.fullmatch(born) is None
    ):
        return None
    try:
        born_at = datetime.fromisoformat(born)
        born_at.astimezone(UTC)  # outside the years UTC can hold: WireRecord says so
        data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except (ValueError, OverflowError, TypeError):  # orjson: over 64 bits, lone surrogate
        return None
    # orjson writes valid UTF-8 only; the walk runs where brackets or NUL may break a limit
    if data.count(b"{") + data.count(b"[") > MAX_BODY_DEPTH or b"\\u0000" in data:
        try:
            check(body, BODY_LIMITS, root="body")
        except UntrustedJson:
            return None
    return CheckedRecord(rid, kind, priority, born_at, body, data.decode())


def plain_records(items: Sequence[Any]) -> list[CheckedRecord] | None:
    """Every record of a batch checked without pydantic, or None when any needs
    ``WireRecord`` to judge it (and name what is wrong): then it judges them all.

    Only for records whose numbers are all finite (read by
    ``untrusted_json.parse_fast``, or ``known_finite``): orjson writes NaN as null.
    A record accepted here is one ``WireRecord`` accepts with the same values and
    canonical text (property-tested against it).
    """
    out = []
    for item in items:
        rec = _plain_record(item)
        if rec is None:
            return None
        out.append(rec)
    return out


class RecordResult(BaseModel):
    index: int
    id: str | None
    outcome: Literal["stored", "duplicate", "rejected", "conflict"]
    reason: str | None = None


class BatchResponse(BaseModel):
    results: list[RecordResult]
    counts: dict[str, int]


def batch_path(gateway_id: str) -> str:
    return BATCH_PATH.format(gateway_id=gateway_id)


def utc_iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()
