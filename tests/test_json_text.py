"""``json_text``: orjson's speed, ``json``'s values, in the cloud's JSON columns."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

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
