"""The CO alarm v1 codec: every contract rule, and no input ever raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalguard.drivers.co_alarm import (
    AlarmLevel,
    Availability,
    CoEvent,
    CoState,
    EventType,
    Rejection,
    encode,
    parse,
)

TS = 1_700_000_000_123
STATE = {
    "ts": TS,
    "seq": 7,
    "co_ppm": 12.5,
    "battery_pct": 88,
    "alarm": "warning",
    "tamper": False,
    "fault": None,
    "eol": False,
}


def _b(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_state_parses_to_typed_record_and_keeps_unknown_fields() -> None:
    m = parse("co/v1/alarm-0001/state", _b({**STATE, "fw": "2.1", "rssi": -71}))
    assert isinstance(m, CoState)
    assert m.device_id == "alarm-0001"
    assert m.ts == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert (m.seq, m.co_ppm, m.battery_pct, m.alarm) == (7, 12.5, 88.0, AlarmLevel.WARNING)
    assert m.extra == {"fw": "2.1", "rssi": -71}


def test_event_with_and_without_co() -> None:
    m = parse("co/v1/abcd/event", _b({"ts": TS, "seq": 1, "type": "alarm_start", "co_ppm": 310}))
    assert isinstance(m, CoEvent) and m.type is EventType.ALARM_START and m.co_ppm == 310
    m = parse("co/v1/abcd/event", _b({"ts": TS, "seq": 2, "type": "test"}))
    assert isinstance(m, CoEvent) and m.co_ppm is None


def test_availability_is_plain_text() -> None:
    assert parse("co/v1/abcd/availability", b"offline") == Availability("abcd", False)
    assert parse("co/v1/abcd/availability", b"online") == Availability("abcd", True)
    assert isinstance(parse("co/v1/abcd/availability", b'"online"'), Rejection)


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("co/v2/abcd/state", _b(STATE), "topic"),
        ("co/v1/ab/state", _b(STATE), "topic"),  # id too short
        ("co/v1/ab cd/state", _b(STATE), "topic"),
        ("co/v1/abcd/status", _b(STATE), "topic"),
        ("co/v1/abcd/state", b"\xff\xfe", "UTF-8"),
        ("co/v1/abcd/state", b"{", "not JSON"),
        ("co/v1/abcd/state", b"[1]", "not a JSON object"),
        ("co/v1/abcd/state", _b({**STATE, "seq": "7"}), "'seq' must be an integer"),
        ("co/v1/abcd/state", _b({**STATE, "seq": True}), "'seq' must be an integer"),
        ("co/v1/abcd/state", _b({**STATE, "seq": -1}), "'seq'"),
        ("co/v1/abcd/state", _b({**STATE, "battery_pct": 101}), "'battery_pct'"),
        ("co/v1/abcd/state", b'{"ts":1700000000000,"seq":1,"co_ppm":NaN}', "NaN"),
        ("co/v1/abcd/state", _b({**STATE, "alarm": "ALARM"}), "'alarm'"),
        ("co/v1/abcd/state", _b({**STATE, "tamper": 0}), "'tamper'"),
        (
            "co/v1/abcd/state",
            _b({k: v for k, v in STATE.items() if k != "eol"}),
            "'eol' is missing",
        ),
        ("co/v1/abcd/state", _b({**STATE, "ts": 1_700_000_000}), "unix milliseconds"),
        ("co/v1/abcd/event", _b({"ts": TS, "seq": 1, "type": "smoke"}), "'type'"),
        ("co/v1/abcd/event", _b({"ts": TS, "seq": 1, "type": "test", "co_ppm": "x"}), "co_ppm"),
        ("co/v1/abcd/state", b" " * 5000, "larger than"),
    ],
)
def test_rejections_name_the_problem(topic: str, payload: bytes, reason: str) -> None:
    m = parse(topic, payload)
    assert isinstance(m, Rejection), m
    assert reason in m.reason
    assert m.payload == payload and m.topic == topic


_states = st.builds(
    CoState,
    device_id=st.from_regex(r"[A-Za-z0-9_-]{4,64}", fullmatch=True),
    ts=st.integers(946_684_800_000, 4_102_444_799_999).map(
        lambda ms: datetime.fromtimestamp(ms / 1000, UTC)
    ),
    seq=st.integers(0, 2**62),
    co_ppm=st.integers(0, 10_000).map(lambda x: x / 10),
    battery_pct=st.integers(0, 1000).map(lambda x: x / 10),
    alarm=st.sampled_from(AlarmLevel),
    tamper=st.booleans(),
    fault=st.none() | st.text(max_size=20),
    eol=st.booleans(),
    extra=st.dictionaries(st.sampled_from(["fw", "rssi", "temp_c"]), st.integers()),
)


@settings(max_examples=200, deadline=None)
@given(_states)
def test_encode_then_parse_round_trips(m: CoState) -> None:
    t, payload = encode(m)
    back = parse(t, payload)
    assert isinstance(back, CoState)
    assert back.seq == m.seq and back.alarm == m.alarm and back.fault == m.fault
    assert back.extra == m.extra
    assert abs((back.ts - m.ts).total_seconds()) < 0.002


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["co/v1/abcd/state", "co/v1/abcd/event", "co/v1/abcd/availability", "x/y"]),
    st.binary(max_size=300) | st.text(max_size=200).map(str.encode),
)
def test_arbitrary_bytes_never_raise(topic: str, payload: bytes) -> None:
    m = parse(topic, payload)
    assert isinstance(m, CoState | CoEvent | Availability | Rejection)
