"""``coalguard.untrusted_json``: the one reader of JSON from outside (issue 11).

Four readers (camera push, cloud batches, CO codec, ``coalguard verdict``)
each had a guard of their own against hostile JSON; these pin the shared one:
every refusal is ``UntrustedJson`` with a code, the offending path and a
reason, and any input gives a value or that error, never another exception.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coalguard.untrusted_json import (
    Limits,
    OversizedInt,
    UntrustedJson,
    check,
    loads,
    parse,
    parse_fast,
    printable,
    render_path,
    storable_text,
)
from tests.support.hostile_json import HOSTILE_FRAGMENTS, json_values


def refused(data: bytes | str, limits: Limits = Limits(), root: str = "$") -> UntrustedJson:
    with pytest.raises(UntrustedJson) as info:
        loads(data, limits, root=root)
    return info.value


def test_nesting_too_deep_to_parse_is_a_depth_error_not_recursion_error() -> None:
    err = refused("[" * 100_000 + "]" * 100_000)
    assert (err.code, err.status, err.loc) == ("depth", 422, None)
    assert err.reason == "nested deeper than 64 levels"


def test_nesting_over_the_limit_names_the_container_path() -> None:
    err = refused('{"a": [' + "[" * 70 + "]" * 70 + "]}")
    assert err.code == "depth" and err.loc == ("a", *([0] * 63))  # the 65th level
    assert err.reason.startswith("$.a[0][0]") and err.reason.endswith(
        ": nested deeper than 64 levels"
    )
    assert loads("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)  # 64 levels are fine


def test_integer_over_4300_digits_names_its_path() -> None:
    err = refused('{"n": [1, ' + "9" * 5000 + "]}", root="body")
    assert err.code == "integer" and err.loc == ("n", 1)
    assert err.reason == "body.n[1]: integer of 5000 digits is over the limit of 4300 digits"
    assert loads("1" * 4300) == int("1" * 4300)


def test_parse_keeps_an_oversized_integer_for_check_to_name() -> None:
    doc = parse('{"records": [{"n": -' + "1" * 4301 + "}]}")
    [record] = doc["records"]
    assert isinstance(record["n"], OversizedInt) and str(record["n"]) == "<integer of 4301 digits>"


@pytest.mark.parametrize(
    ("literal", "shown"),
    [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("1e999", "Infinity")],
)
def test_nan_and_infinity_are_refused_naming_the_field(literal: str, shown: str) -> None:
    err = refused('{"x": {"co_ppm": ' + literal + "}}")
    assert err.code == "number" and err.reason == f"$.x.co_ppm: {shown} is not a finite number"
    assert math.isinf(loads(literal, Limits(allow_non_finite=True))) or literal == "NaN"


@pytest.mark.parametrize(
    "raw",
    [b'{"s": "\\ud800"}', b'{"s": "\xed\xa0\x80"}'],  # escaped; a surrogate encoded as UTF-8
    ids=["escaped", "utf8-bytes"],
)
def test_lone_surrogate_in_text_names_the_path(raw: bytes) -> None:
    err = refused(raw, root="body")
    assert err.code == "surrogate" and err.status == 422
    assert err.reason == "body.s: text is not valid Unicode (lone surrogate \\ud800)"


def test_lone_surrogate_in_a_key_names_the_object_and_the_key() -> None:
    err = refused('{"a": {"\\udfff": 1}}', root="body")
    assert err.code == "surrogate" and err.loc == ("a",) and err.key == "\udfff"
    assert err.reason == "body.a: key text is not valid Unicode (lone surrogate \\udfff)"


def test_nul_is_refused_unless_the_reader_allows_it() -> None:
    err = refused('["ok", "a\\u0000b"]')
    assert err.code == "nul" and err.reason.startswith("$[1]: text holds a NUL character")
    assert loads('["a\\u0000b"]', Limits(allow_nul=True)) == ["a\x00b"]


@pytest.mark.parametrize(
    ("raw", "code", "status", "words"),
    [
        (b"{nope", "syntax", 400, "not JSON: Expecting property name"),
        (b"\xff\xfe{}", "encoding", 400, "not UTF-8: invalid start byte at byte 0"),
        (b"[" + b"1," * 600 + b"1]", "size", 413, "larger than 1000 bytes"),
    ],
)
def test_unreadable_text_is_refused_whole(raw: bytes, code: str, status: int, words: str) -> None:
    err = refused(raw, Limits(max_bytes=1000))
    assert (err.code, err.status, err.loc) == (code, status, None)
    assert words in err.reason


def test_the_first_offending_value_in_document_order_is_named() -> None:
    err = refused('{"a": [1, "x", NaN], "b": "\\ud800", "c": ' + "9" * 5000 + "}")
    assert err.path == "$.a[2]" and err.code == "number"


def test_check_walks_already_parsed_values_with_a_root_name() -> None:
    check({"fine": [1, 2.5, "text", None, True]}, root="record")
    with pytest.raises(UntrustedJson) as info:
        check({"deep": [[[]]]}, Limits(max_depth=3), root="")
    assert info.value.reason == "deep[0][0]: nested deeper than 3 levels"


def test_smaller_integer_limit_is_enforced_by_check() -> None:
    with pytest.raises(UntrustedJson) as info:
        check({"n": 10**20}, Limits(max_int_digits=20))
    assert info.value.reason == "$.n: integer of 21 digits is over the limit of 20 digits"
    check({"n": 10**20 - 1, "b": True}, Limits(max_int_digits=20))


def test_hostile_key_in_a_path_is_shortened_and_printable() -> None:
    path = render_path("$", ("\x1b[31m" + "k" * 500, 3))
    assert len(path) <= 200 and "\x1b" not in path and path.endswith("…")


def test_refused_text_kept_beside_a_dead_letter_is_storable() -> None:
    assert storable_text("a\x00b\ud800") == "a\\x00b\\ud800"
    assert storable_text("无烟煤") == "无烟煤"
    assert printable("a\x1bb\udc00") == "a\\u001bb\\udc00"


def test_text_for_a_person_comes_from_the_catalog() -> None:
    err = refused('{"\\ud800": 1}')
    assert err.text("en") == (
        "a key: text holds a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"
    )
    assert err.text("zh").startswith("键名：")
    assert refused("NaN").text("en") == "not a finite number (NaN and infinity are refused)"


# -- property: any JSON value gives a value within the limits or UntrustedJson ------

_values = json_values(max_leaves=20, max_size=4)
_RAW = HOSTILE_FRAGMENTS
_documents = st.one_of(
    _values.map(json.dumps),  # ensure_ascii: surrogates and NUL travel as \\uXXXX
    _values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.lists(st.sampled_from(_RAW) | _values.map(json.dumps), max_size=4).map(
        lambda parts: "[" + ",".join(parts) + "]"
    ),
    st.text(max_size=40),
)


def _as_bytes(doc: str) -> bytes:
    return doc.encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_documents, as_bytes=st.booleans(), depth=st.sampled_from([2, 16, 64]))
@example(doc="[" * 100_000, as_bytes=True, depth=64)
@example(doc='{"a": "\\ud800"}', as_bytes=False, depth=64)
def test_any_json_value_gives_a_value_or_the_typed_error(
    doc: str, as_bytes: bool, depth: int
) -> None:
    limits = Limits(max_depth=depth)
    try:
        value = loads(_as_bytes(doc) if as_bytes else doc, limits)
    except UntrustedJson as exc:
        assert exc.reason and exc.status in (400, 413, 422)
        assert exc.text("en") and exc.text("zh")
        return
    # What came through can be stored and sent: strict JSON, UTF-8, no NUL.
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")
    assert "\x00" not in text


@settings(max_examples=200, deadline=None)
@given(value=_values | st.builds(OversizedInt, st.integers(4301, 10_000)).map(lambda v: [v]))
def test_check_on_any_parsed_value_passes_or_names_a_path(value: object) -> None:
    try:
        check(value, root="v")
    except UntrustedJson as exc:
        assert exc.path is not None and exc.reason.startswith(exc.path + ": ")


# -- the fast read (orjson) gives what ``parse`` gives, or nothing -------------------


def _same(a: object, b: object) -> bool:
    """Equal values of the same types (1 is not 1.0, -0.0 is not 0.0), keys in order;
    iterative, for any depth."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict) and isinstance(y, dict):
            if list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif isinstance(x, float) and isinstance(y, float):
            if x != y or math.copysign(1, x) != math.copysign(1, y):
                return False
        elif x != y:
            return False
    return True


# Number texts of every length around the 64-bit edge, hex-like digit runs, in text too.
_numbers = st.from_regex(
    r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,4})?", fullmatch=True
)
_hashes = st.from_regex(r"[0-9a-f]{0,8}[0-9]{17,22}[0-9a-f]{0,8}", fullmatch=True)
_fast_documents = st.one_of(
    _documents,
    st.lists(_numbers | _hashes.map(json.dumps), max_size=6).map(lambda p: "[" + ",".join(p) + "]"),
    st.dictionaries(st.text(max_size=4), _numbers, max_size=4).map(
        lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}"
    ),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_fast_documents)
@example(doc="[18446744073709551616]")
@example(doc="[-9223372036854775809]")
@example(doc="[1e400, -1e400]")
@example(doc='{"a": 1, "a": 2, "b": [1.0, -0.0, 1E5]}')
@example(doc='["0000000000000000000000000000000000000000", " 12345678901234567890"]')
@example(doc="[" * 1000 + "]" * 1000)
def test_fast_parse_reads_what_the_strict_parse_reads(doc: str) -> None:
    raw = _as_bytes(doc)
    fast = parse_fast(raw)
    if fast is None:
        return
    try:
        strict = parse(raw)
    except UntrustedJson as exc:  # the one difference, which callers bound: depth
        assert exc.code == "depth"
        return
    assert _same(fast, strict)


def test_integer_past_64_bits_is_left_to_the_strict_parse() -> None:
    for raw in (b"[18446744073709551616]", b'{"n": -9223372036854775809}', b"1" * 30):
        assert parse_fast(raw) is None
    assert parse(b"[18446744073709551616]") == [18446744073709551616]


def test_digit_runs_inside_hashes_keep_the_fast_parse() -> None:
    """A sha256 in hex holds 19 digits in a row about once in a hundred: not a number."""
    raw = b'{"sha256": "a' + b"1" * 40 + b'", "prev": "' + b"0" * 64 + b'"}'
    assert parse_fast(raw) == json.loads(raw)
