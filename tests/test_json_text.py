"""``json_text``: orjson's speed, ``json``'s values, in the cloud's JSON columns."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalguard import json_text

SAME = [
    {"a": 1, "b": [1, 2.5, "é", None, True], "c": {"d": "text"}},
    {"big": 10**30, "neg": -(2**63) - 1, "u64": 2**64 - 1},
    {"surrogate": "\ud800"},
    {1: "a key that is not text"},
    {"word": "nullable"},
    [],
    "plain",
]


@pytest.mark.parametrize("value", SAME)
def test_what_is_written_reads_back_as_json_reads_json_dumps(value: object) -> None:
    assert json_text.loads(json_text.dumps(value)) == json.loads(json.dumps(value))


def test_an_integer_past_64_bits_is_read_exactly_not_as_a_float() -> None:
    got = json_text.loads('{"a": 123456789012345678901234567890, "b": -9223372036854775809}')
    assert got == {"a": 123456789012345678901234567890, "b": -9223372036854775809}
    assert isinstance(json_text.loads(b'{"a": 123456789012345678901234567890}')["a"], int)


def test_nan_and_infinity_are_written_and_read_as_json_does() -> None:
    text = json_text.dumps({"x": math.nan, "y": math.inf})
    assert text == json.dumps({"x": math.nan, "y": math.inf})
    back = json_text.loads(text)
    assert math.isnan(back["x"]) and back["y"] == math.inf


def test_what_json_refuses_is_still_refused() -> None:
    with pytest.raises(TypeError):
        json_text.dumps({"at": datetime(2026, 11, 26, tzinfo=UTC)})


# Any JSON-like value ``json`` writes: floats of every size (and NaN, infinity), integers
# past 64 bits, lone surrogates, keys that are not text, tuples.
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | st.text()
    | st.text(
        alphabet=st.characters(
            codec=None, categories=None, min_codepoint=0xD7F0, max_codepoint=0xE010
        )
    )
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        | st.dictionaries(st.integers(), inner, max_size=2)
        | st.tuples(inner, inner)
    ),
    max_leaves=12,
)


@settings(max_examples=800, deadline=None)
@given(_VALUES)
def test_canonical_text_is_json_dumps_sorted_and_compact_byte_for_byte(value: object) -> None:
    assert json_text.canonical(value) == json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(_LEAVES, max_size=9))
def test_a_ledger_entrys_hashed_text_is_json_dumps_of_its_fields(doc: list[object]) -> None:
    from coalguard.edge.ledger_chain import _hashed_text

    assert _hashed_text(doc) == json.dumps(doc, ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_column_text_reads_back_as_json_dumps_reads_back(value: object) -> None:
    try:
        expected = json.dumps(value)
    except (TypeError, ValueError):
        return
    got = json_text.loads(json_text.dumps(value))
    assert json.dumps(got) == json.dumps(json.loads(expected))
