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
from coalguard.drivers.co_alarm.codec import UNEXPECTED

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
    fault=st.none() | st.text(st.characters(exclude_characters="\x00"), max_size=20),
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


# -- issue 10: the codec is total (one raising payload silenced every alarm) ----------

EVENT = {"ts": TS, "seq": 1, "type": "alarm_start", "co_ppm": 300}
POISON = b'{"ts":1795680000000,"seq":1,"type":[]}'


def _rejected(topic: str, payload: bytes, reason: str) -> None:
    m = parse(topic, payload)
    assert isinstance(m, Rejection), m
    assert reason in m.reason, m.reason
    assert UNEXPECTED not in m.reason  # named by the codec's own checks, not the safety net


def test_list_valued_type_is_rejected_not_raised() -> None:
    _rejected("co/v1/EVIL-0001/event", POISON, "'type' must be one of")


@pytest.mark.parametrize("value", [[], ["alarm"], {}, {"alarm": 1}, True, 3, None, 1.5])
def test_non_string_alarm_level_is_rejected(value: object) -> None:
    _rejected("co/v1/abcd/state", _b({**STATE, "alarm": value}), "'alarm' must be one of")


@pytest.mark.parametrize("value", [{}, {"type": "alarm_start"}, True, False, 7, [["x"]]])
def test_dict_bool_or_nested_event_type_is_rejected(value: object) -> None:
    _rejected("co/v1/abcd/event", _b({**EVENT, "type": value}), "'type' must be one of")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("ts", [], "'ts' must be an integer"),
        ("ts", {}, "'ts' must be an integer"),
        ("ts", True, "'ts' must be an integer"),
        ("seq", [1], "'seq' must be an integer"),
        ("seq", {"n": 1}, "'seq' must be an integer"),
        ("co_ppm", [], "'co_ppm' must be a number"),
        ("co_ppm", {}, "'co_ppm' must be a number"),
        ("co_ppm", False, "'co_ppm' must be a number"),
        ("battery_pct", [80], "'battery_pct' must be a number"),
        ("tamper", [], "'tamper' must be true or false"),
        ("eol", {}, "'eol' must be true or false"),
        ("fault", [], "'fault' must be a string"),
        ("fault", {"code": "E1"}, "'fault' must be a string"),
        ("fault", True, "'fault' must be a string"),
    ],
)
def test_list_dict_or_bool_where_a_scalar_is_expected_is_rejected(
    field: str, value: object, reason: str
) -> None:
    _rejected("co/v1/abcd/state", _b({**STATE, field: value}), reason)


@pytest.mark.parametrize(
    ("topic", "field"),
    [
        ("co/v1/abcd/event", "co_ppm"),
        ("co/v1/abcd/state", "co_ppm"),
        ("co/v1/abcd/state", "battery_pct"),
        ("co/v1/abcd/state", "ts"),
        ("co/v1/abcd/state", "seq"),
    ],
)
def test_huge_integer_is_rejected_not_overflow(topic: str, field: str) -> None:
    doc = {**(EVENT if topic.endswith("event") else STATE), field: 0}
    payload = _b(doc).replace(f'"{field}": 0'.encode(), f'"{field}": {10**400}'.encode())
    _rejected(topic, payload, f"'{field}'")


def test_four_thousand_digit_integer_is_rejected_with_a_short_reason() -> None:
    payload = b'{"ts":%d,"seq":%s,"type":"test"}' % (TS, b"9" * 4000)
    _rejected("co/v1/abcd/event", payload, "'seq'")
    assert len(parse("co/v1/abcd/event", payload).reason) < 100


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400"])
def test_nan_or_infinity_in_any_field_is_rejected(literal: bytes) -> None:
    for field in (b"co_ppm", b"fw_temp"):
        payload = b'{"ts":%d,"seq":1,"type":"test","%s":%s}' % (TS, field, literal)
        _rejected("co/v1/abcd/event", payload, "not JSON")


def test_deeply_nested_unknown_field_is_rejected() -> None:
    deep: object = 1
    for _ in range(40):
        deep = {"x": [deep]}
    _rejected("co/v1/abcd/event", _b({**EVENT, "diag": deep}), "nested deeper than")
    shallow = parse("co/v1/abcd/event", _b({**EVENT, "diag": {"x": [1, {"y": None}]}}))
    assert isinstance(shallow, CoEvent) and shallow.extra == {"diag": {"x": [1, {"y": None}]}}


@pytest.mark.parametrize("text", ["a\u0000b", "\ud800", "x\udfffy"])
def test_nul_or_lone_surrogate_text_is_rejected(text: str) -> None:
    _rejected("co/v1/abcd/state", _b({**STATE, "fault": text}), "NUL or a lone surrogate")
    _rejected("co/v1/abcd/event", _b({**EVENT, "fw": [text]}), "NUL or a lone surrogate")
    _rejected("co/v1/abcd/event", _b({**EVENT, text: 1}), "NUL or a lone surrogate")


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=25,
)
_FIELDS = sorted({*STATE, *EVENT, "extra_field"})


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(["state", "event"]),
    st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=4),
    st.sets(st.sampled_from(_FIELDS), max_size=3),
)
def test_any_json_value_in_any_field_gives_a_message_or_a_rejection(
    sub: str, replace: dict[str, object], drop: set[str]
) -> None:
    base = STATE if sub == "state" else EVENT
    doc = {k: v for k, v in {**base, **replace}.items() if k not in drop}
    payload = json.dumps(doc).encode()  # NaN/Infinity as the literals a device may send
    m = parse(f"co/v1/abcd/{sub}", payload)
    assert isinstance(m, CoState | CoEvent | Rejection)
    if isinstance(m, Rejection):
        assert m.reason and UNEXPECTED not in m.reason, m.reason
    else:
        # A parsed message is storable: strict JSON, finite, no NUL or lone surrogate.
        json.dumps(m.extra, allow_nan=False).encode("utf-8")
        assert type(m.seq) is int and 0 <= m.seq < 2**63
