"""CO alarm MQTT v1 codec: topic + bytes -> typed message, or a Rejection with a reason.

Also encodes messages, for the fleet simulator and for alarm makers' test rigs.
Parsing is total: any topic and any bytes give a typed message or a
``Rejection`` naming what is wrong; it never raises (one malformed message
that raised once stopped every CO alarm, issue 10). Values that no database
column can hold (NUL, lone surrogates, infinities, deep nesting) are refused
here, so a parsed message can always be stored.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from coalguard.drivers.co_alarm.messages import (
    AlarmLevel,
    Availability,
    CoEvent,
    CoMessage,
    CoState,
    EventType,
    Rejection,
)
from coalguard.untrusted_json import Limits, UntrustedJson, check, printable
from coalguard.untrusted_json import parse as parse_json

ROOT = "co/v1"
DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{4,64}")
SUBTOPICS = ("availability", "state", "event")
MAX_PAYLOAD = 4096
# Timestamps outside this window (2000-01-01 .. 2100-01-01, in ms) are refused.
_TS_MIN, _TS_MAX = 946_684_800_000, 4_102_444_800_000
_STATE_KEYS = ("ts", "seq", "co_ppm", "battery_pct", "alarm", "tamper", "fault", "eol")
_EVENT_KEYS = ("ts", "seq", "type", "co_ppm")
_ALARM = {a.value: a for a in AlarmLevel}
_EVENT = {e.value: e for e in EventType}
# Unknown fields are kept; deeper nesting than this is refused (stored as JSON later).
MAX_DEPTH = 16
_LIMITS = Limits(max_depth=MAX_DEPTH)
UNEXPECTED = "payload could not be decoded"


class _Bad(Exception):
    pass


def topic(device_id: str, sub: str) -> str:
    """``co/v1/{device_id}/{sub}``."""
    return f"{ROOT}/{device_id}/{sub}"


def split_topic(t: str) -> tuple[str, str] | None:
    """``(device_id, sub)`` of a v1 topic, or None when the topic is not one."""
    parts = t.split("/")
    if len(parts) != 4 or parts[0] != "co" or parts[1] != "v1" or parts[3] not in SUBTOPICS:
        return None
    if not DEVICE_ID.fullmatch(parts[2]):
        return None
    return parts[2], parts[3]


def parse(t: str, payload: bytes) -> CoMessage | Rejection:
    """Decode one MQTT message of the v1 contract; never raises."""
    try:
        return _parse(t, payload)
    except Exception as exc:  # a codec bug must still not stop the ingest
        return Rejection(t, bytes(payload), f"{UNEXPECTED} ({type(exc).__name__}: {exc})"[:500])


def _parse(t: str, payload: bytes) -> CoMessage | Rejection:
    where = split_topic(t)
    if where is None:
        return Rejection(t, payload, "topic is not co/v1/{device_id}/availability|state|event")
    device_id, sub = where
    if len(payload) > MAX_PAYLOAD:
        return Rejection(t, payload, f"payload larger than {MAX_PAYLOAD} bytes", device_id)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(t, payload, "payload is not UTF-8", device_id)
    doc: dict[str, Any] | None = None
    try:
        if sub == "availability":
            return _availability(device_id, text)
        doc = _json(text)
        return _state(device_id, doc) if sub == "state" else _event(device_id, doc)
    except _Bad as exc:
        return Rejection(t, payload, str(exc), device_id, _seq_or_none(doc))


def _seq_or_none(doc: dict[str, Any] | None) -> int | None:
    """The refused message's ``seq`` when it has a valid one (its event can still be acked)."""
    try:
        return _seq(doc) if doc is not None else None
    except _Bad:
        return None


def _json(text: str) -> dict[str, Any]:
    """The payload object, refused with a reason naming its field (storable as JSON later)."""
    try:
        doc = parse_json(text, _LIMITS)
    except UntrustedJson as exc:
        raise _Bad(f"payload is not JSON ({exc.reason})") from None
    if not isinstance(doc, dict):
        raise _Bad("payload is not a JSON object")
    try:
        check(doc, _LIMITS, root="")
    except UntrustedJson as exc:
        if exc.code == "number":  # NaN / Infinity: not strict JSON
            raise _Bad(f"payload is not JSON ({exc.reason})") from None
        top = exc.loc[0] if exc.loc else exc.key
        field = _name(str(top))
        if exc.code in ("surrogate", "nul"):
            where = "name" if exc.in_key else "text"
            raise _Bad(f"field {field!r}: {where} contains NUL or a lone surrogate") from None
        raise _Bad(f"field {field!r}: {exc.detail}") from None
    return doc


def _name(key: str) -> str:
    """A field name safe to quote in a reason (printable, short)."""
    return printable(key[:40])


def _availability(device_id: str, text: str) -> Availability:
    value = text.strip()
    if value not in ("online", "offline"):
        raise _Bad(f"availability must be 'online' or 'offline', got {value[:20]!r}")
    return Availability(device_id, value == "online")


def _ts(doc: dict[str, Any]) -> datetime:
    v = _int(doc, "ts")
    if not _TS_MIN <= v < _TS_MAX:
        raise _Bad(f"field 'ts': {str(v)[:20]} is not unix milliseconds between 2000 and 2100")
    return datetime.fromtimestamp(v / 1000, UTC)


def _int(doc: dict[str, Any], key: str) -> int:
    if key not in doc:
        raise _Bad(f"field '{key}' is missing")
    v = doc[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise _Bad(f"field '{key}' must be an integer")
    return v


def _num(doc: dict[str, Any], key: str, lo: float, hi: float) -> float:
    if key not in doc:
        raise _Bad(f"field '{key}' is missing")
    v = doc[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Bad(f"field '{key}' must be a number")
    if not lo <= v <= hi:  # before float(): a huge integer does not fit a float
        raise _Bad(f"field '{key}': {str(v)[:20]} is outside {lo:g}..{hi:g}")
    return float(v)


def _bool(doc: dict[str, Any], key: str) -> bool:
    if key not in doc:
        raise _Bad(f"field '{key}' is missing")
    v = doc[key]
    if not isinstance(v, bool):
        raise _Bad(f"field '{key}' must be true or false")
    return v


def _seq(doc: dict[str, Any]) -> int:
    v = _int(doc, "seq")
    if not 0 <= v < 2**63:
        raise _Bad(f"field 'seq': {str(v)[:20]} is not a non-negative 64-bit integer")
    return v


def _state(device_id: str, doc: dict[str, Any]) -> CoState:
    # Checked in the contract's field order, so the first problem is reported.
    ts, seq = _ts(doc), _seq(doc)
    co, battery = _num(doc, "co_ppm", 0, 100_000), _num(doc, "battery_pct", 0, 100)
    alarm = doc.get("alarm")
    if not isinstance(alarm, str) or alarm not in _ALARM:
        raise _Bad("field 'alarm' must be one of none, warning, alarm")
    tamper = _bool(doc, "tamper")
    if "fault" not in doc:
        raise _Bad("field 'fault' is missing")
    fault = doc["fault"]
    if fault is not None and (not isinstance(fault, str) or len(fault) > 200):
        raise _Bad("field 'fault' must be a string (at most 200 chars) or null")
    return CoState(
        device_id=device_id,
        ts=ts,
        seq=seq,
        co_ppm=co,
        battery_pct=battery,
        alarm=_ALARM[alarm],
        tamper=tamper,
        fault=fault,
        eol=_bool(doc, "eol"),
        extra={k: v for k, v in doc.items() if k not in _STATE_KEYS},
    )


def _event(device_id: str, doc: dict[str, Any]) -> CoEvent:
    ts, seq = _ts(doc), _seq(doc)
    kind = doc.get("type")
    if not isinstance(kind, str) or kind not in _EVENT:
        raise _Bad(f"field 'type' must be one of {', '.join(_EVENT)}")
    co = _num(doc, "co_ppm", 0, 100_000) if doc.get("co_ppm") is not None else None
    return CoEvent(
        device_id=device_id,
        ts=ts,
        seq=seq,
        type=_EVENT[kind],
        co_ppm=co,
        extra={k: v for k, v in doc.items() if k not in _EVENT_KEYS},
    )


def _ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def encode(msg: CoMessage) -> tuple[str, bytes]:
    """Topic and payload for a message (the inverse of ``parse``)."""
    if isinstance(msg, Availability):
        return topic(msg.device_id, "availability"), b"online" if msg.online else b"offline"
    if isinstance(msg, CoState):
        doc: dict[str, Any] = {
            "ts": _ms(msg.ts),
            "seq": msg.seq,
            "co_ppm": round(msg.co_ppm, 1),
            "battery_pct": round(msg.battery_pct, 1),
            "alarm": msg.alarm.value,
            "tamper": msg.tamper,
            "fault": msg.fault,
            "eol": msg.eol,
        }
        sub = "state"
    else:
        doc = {"ts": _ms(msg.ts), "seq": msg.seq, "type": msg.type.value}
        if msg.co_ppm is not None:
            doc["co_ppm"] = round(msg.co_ppm, 1)
        sub = "event"
    doc.update(msg.extra)
    return topic(msg.device_id, sub), json.dumps(doc, separators=(",", ":")).encode()
