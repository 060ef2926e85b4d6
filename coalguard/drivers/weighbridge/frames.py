"""Bytes → frames → readings, for any format of ``formats/`` (the parsing half, no I/O).

``Framer.feed`` cuts the stream into frame bodies by the format's start, end and
length, and hands back what cannot be a frame as a ``Reject`` (garbage between
frames, a frame cut short by the next start, an oversized run). ``parse_frame``
turns a body into a ``Reading`` or a ``Reject`` naming what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import reduce

from coalguard.drivers.analyzer import stats as kinds
from coalguard.drivers.weighbridge.frameformat import KG_PER, FrameFormat


@dataclass(frozen=True)
class Reading:
    """One frame of an indicator: what its display showed, when it was read."""

    at: datetime  # UTC, when the frame was read
    weight: Decimal | None  # signed, in ``unit``; None when the scale is overloaded
    unit: str
    mode: str | None  # gross | net, when the format says
    stable: bool | None  # the indicator's own flag; None when the format has none
    overload: bool
    raw: bytes

    @property
    def kg(self) -> Decimal | None:
        """The weight in kilograms."""
        return None if self.weight is None else self.weight * KG_PER[self.unit]


@dataclass(frozen=True)
class Reject:
    """Bytes that are not a good frame, and why."""

    kind: str  # an error kind of ``drivers.analyzer.stats``
    detail: str
    raw: bytes


def xor_hex(body: bytes) -> bytes:
    """The XK3190 check: XOR of the bytes, high and low nibble as 0-9/A-F characters."""
    x = reduce(lambda a, b: a ^ b, body, 0)
    return f"{x:02X}".encode()


class Framer:
    """Cuts a byte stream into frame bodies (start and end removed)."""

    def __init__(self, fmt: FrameFormat) -> None:
        self.start = fmt.frame.start.encode("latin-1")
        self.end = fmt.frame.end.encode("latin-1")
        self.length = fmt.frame.length
        self.max_length = fmt.frame.max_length
        self._buf = b""

    def feed(self, data: bytes) -> Iterator[bytes | Reject]:
        self._buf += data
        while True:
            item = self._next()
            if item is None:
                return
            yield item

    def _next(self) -> bytes | Reject | None:
        if not self.start:
            return self._line()
        i = self._buf.find(self.start)
        if i < 0:
            if len(self._buf) > self.max_length:
                junk, self._buf = self._buf, b""
                return Reject(kinds.GARBAGE, "bytes without a frame start", junk)
            return None
        if i > 0:
            junk, self._buf = self._buf[:i], self._buf[i:]
            return Reject(kinds.GARBAGE, "bytes before a frame start", junk)
        rest = self._buf[len(self.start) :]
        cut = rest.find(self.start)
        stop = (
            rest.find(self.end)
            if self.end
            else (self.length if len(rest) >= (self.length or 0) else -1)
        )
        if cut >= 0 and (stop < 0 or cut < stop):
            short, self._buf = self._buf[: len(self.start) + cut], rest[cut:]
            return Reject(kinds.SHORT_FRAME, "frame cut short by the next start", short)
        if stop < 0:
            if len(rest) > self.max_length:
                junk, self._buf = self._buf, b""
                return Reject(kinds.OVERSIZED, f"no frame end within {self.max_length} bytes", junk)
            return None
        body = rest[:stop]
        self._buf = rest[stop + len(self.end) :]
        return body

    def _line(self) -> bytes | Reject | None:
        while True:
            j = self._buf.find(self.end)
            if j < 0:
                if len(self._buf) > self.max_length:
                    junk, self._buf = self._buf, b""
                    return Reject(
                        kinds.OVERSIZED, f"no frame end within {self.max_length} bytes", junk
                    )
                return None
            body, self._buf = self._buf[:j], self._buf[j + len(self.end) :]
            if body.strip(b"\r\n\x00 "):
                return body


def parse_frame(
    fmt: FrameFormat, body: bytes, at: datetime, unit: str | None = None
) -> Reading | Reject:
    """A frame body as a reading; ``unit``: the indicator's unit when the frame has none."""
    if fmt.frame.length is not None and len(body) != fmt.frame.length:
        return Reject(
            kinds.SHORT_FRAME, f"{len(body)} bytes, the format has {fmt.frame.length}", body
        )
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return Reject(kinds.DECODE, "not ASCII", body)
    if fmt.frame.reversed:
        text = text[::-1]
    words = fmt.words
    over = fmt.overload_regex.fullmatch(text) if fmt.overload_regex else None
    m = fmt.regex.fullmatch(text)
    if m is None and over is None:
        return Reject(kinds.MALFORMED, f"{text!r} does not match the {fmt.id} frame", body)
    found = (m or over).groupdict()  # type: ignore[union-attr]
    status = words.status.get(found.get("status") or "")
    mode = words.mode.get(found.get("mode") or "")
    frame_unit = words.unit.get(found.get("unit") or "") or unit or fmt.default_unit
    if (over is not None and m is None) or status in ("overload", "underload"):
        return Reading(at, None, frame_unit, mode, False, True, body)
    if fmt.frame.checksum == "xor-hex":
        covered = text[: m.start("check")].encode()  # type: ignore[union-attr]
        if xor_hex(covered) != found["check"].encode():
            return Reject(
                kinds.CHECKSUM, f"check {found['check']} != {xor_hex(covered).decode()}", body
            )
    value = _value(found)
    if value is None:
        return Reject(kinds.MALFORMED, f"{text!r}: no number in the weight field", body)
    if words.sign.get(found.get("sign") or "", "+") == "-":
        value = -value
    stable = None if "status" not in found else status == "stable"
    return Reading(at, value, frame_unit, mode, stable, False, body)


def _value(found: dict[str, str | None]) -> Decimal | None:
    text = (found.get("value") or found.get("digits") or "").replace(" ", "")
    if text.count(".") > 1 or not text.strip("."):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    decimals = found.get("decimals")
    return value.scaleb(-int(decimals)) if decimals else value
