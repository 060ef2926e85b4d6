"""The analyzer ASCII line protocol: format, checksum, framing, parsing.

A line is ``$CGR,key=value,...*HH\\r\\n`` where HH is the XOR of every byte
between ``$`` and ``*`` in upper-case hex (as NMEA 0183). Spec:
``docs/analyzer-ascii.md``. The framer survives partial reads, line noise,
a missing terminator and oversized lines; the parser never raises and never
invents a result: anything doubtful is counted and dead-lettered.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from coalguard.drivers.analyzer import stats as kinds
from coalguard.drivers.analyzer.units import UNITS, to_canonical
from coalguard.edge.quality.basis import validate_measured
from coalguard.edge.quality.indicators import KNOWN

START = b"$"
MAX_LINE = 512
RESULT = "CGR"  # a sample result
QUERY = "CGQ"  # master asks for the last result again
IDENT = "CGI"  # identity: manufacturer, model, serial
_RESERVED = {"SEQ", "ID", "TS", "SN", "MDL", "MFR", "ST", "U"}


def checksum(body: bytes) -> str:
    c = 0
    for b in body:
        c ^= b
    return f"{c:02X}"


def frame(sentence: str, fields: Mapping[str, object] | None = None) -> bytes:
    """Build one line, checksum and CR LF included."""
    parts = [sentence, *(f"{k}={v}" for k, v in (fields or {}).items())]
    body = ",".join(parts).encode("ascii")
    return b"$" + body + b"*" + checksum(body).encode() + b"\r\n"


@dataclass(frozen=True)
class Line:
    """A checksum-valid line: sentence type and its key=value fields in order."""

    sentence: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Reject:
    """A line that was not accepted, and why (a stats error kind)."""

    kind: str
    detail: str
    raw: bytes


class LineFramer:
    """Bytes in, candidate lines out. Keeps only a bounded buffer."""

    def __init__(self, max_line: int = MAX_LINE):
        self.max_line = max_line
        self._buf = bytearray()
        self._skipping = False  # inside an oversized line: drop until the next '$'

    def feed(self, data: bytes) -> Iterator[bytes | Reject]:
        """Yield each complete line (without CR LF) or a Reject."""
        for byte in data:
            if byte == 0x24:  # '$'
                if self._buf:
                    yield Reject(
                        kinds.UNTERMINATED, "a new line began before CR LF", bytes(self._buf)
                    )
                self._buf = bytearray(b"$")
                self._skipping = False
                continue
            if self._skipping:
                continue
            if not self._buf:
                continue  # noise between lines
            if byte in (0x0A, 0x0D):
                line = bytes(self._buf)
                self._buf.clear()
                yield line
                continue
            self._buf.append(byte)
            if len(self._buf) > self.max_line:
                yield Reject(
                    kinds.OVERSIZED, f"longer than {self.max_line} bytes", bytes(self._buf[:64])
                )
                self._buf.clear()
                self._skipping = True


def parse_line(raw: bytes) -> Line | Reject:
    """Check the checksum and split the fields. Never raises."""
    if not raw.startswith(b"$") or b"*" not in raw:
        return Reject(kinds.MALFORMED, "no '$' start or '*' checksum", raw)
    body, _, given = raw[1:].rpartition(b"*")
    if len(given) != 2:
        return Reject(kinds.MALFORMED, "checksum must be two hex digits", raw)
    try:
        text = body.decode("ascii")
        given_s = given.decode("ascii").upper()
    except UnicodeDecodeError:
        return Reject(kinds.MALFORMED, "not ASCII", raw)
    if checksum(body) != given_s:
        return Reject(kinds.CHECKSUM, f"checksum {given_s} != {checksum(body)}", raw)
    if not text.isprintable():
        return Reject(kinds.MALFORMED, "control characters in the line", raw)
    sentence, *parts = text.split(",")
    fields: dict[str, str] = {}
    for p in parts:
        key, eq, value = p.partition("=")
        if not eq or not key or key in fields:
            return Reject(kinds.MALFORMED, f"bad or repeated field {p[:32]!r}", raw)
        fields[key] = value
    return Line(sentence, fields)


@dataclass(frozen=True)
class ParsedResult:
    """The content of a CGR line, in canonical units."""

    sample_id: str
    sequence: int | None
    analyzer_time: datetime | None
    indicators: dict[str, float]
    status: tuple[str, ...]
    serial: str | None
    model: str | None


def parse_result(line: Line) -> ParsedResult | Reject:
    """Interpret a CGR line. Unknown keys are ignored; bad values refuse the line."""
    raw = f"{line.sentence},{line.fields}".encode()
    f = line.fields
    sid = f.get("ID", "")
    if not sid or len(sid) > 64:
        return Reject(kinds.MALFORMED, "ID (sample id) missing or longer than 64", raw)
    seq = None
    if "SEQ" in f:
        if not f["SEQ"].isdigit():
            return Reject(kinds.MALFORMED, f"SEQ {f['SEQ']!r} is not a number", raw)
        seq = int(f["SEQ"])
    ts = None
    if f.get("TS"):
        try:
            ts = datetime.fromisoformat(f["TS"])
        except ValueError:
            return Reject(kinds.MALFORMED, f"TS {f['TS']!r} is not ISO 8601", raw)
        if ts.tzinfo is None:
            return Reject(kinds.MALFORMED, "TS has no UTC offset", raw)
        ts = ts.astimezone(UTC)
    units = dict(u.split(":", 1) for u in f.get("U", "").split(";") if ":" in u)
    indicators: dict[str, float] = {}
    for key, value in f.items():
        if key in _RESERVED:
            continue
        if key not in KNOWN:
            continue  # vendor extras are not indicators
        try:
            num = float(value)
        except ValueError:
            return Reject(kinds.MALFORMED, f"{key}={value[:16]!r} is not a number", raw)
        if not math.isfinite(num):
            return Reject(kinds.MALFORMED, f"{key} is not finite", raw)
        unit = units.get(key, "MJ/kg" if key.startswith("Q") else "%")
        if unit not in UNITS:
            return Reject(kinds.MALFORMED, f"unknown unit {unit!r} for {key}", raw)
        indicators[key] = round(to_canonical(num, unit), 6)
    if not indicators:
        return Reject(kinds.MALFORMED, "no indicator in the result", raw)
    try:
        validate_measured(indicators)
    except ValueError as exc:
        return Reject(kinds.DECODE, str(exc), raw)
    status = tuple(s for s in f.get("ST", "").split(";") if s and s != "OK")
    return ParsedResult(sid, seq, ts, indicators, status, f.get("SN") or None, f.get("MDL") or None)
