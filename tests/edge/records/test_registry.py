"""The registry: encode/decode, versions, and the reasons it gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coalguard.edge.records import (
    VERSION_KEY,
    AnalyzerResultRecord,
    FastPassLoaded,
    InvalidBody,
    UnknownKind,
    UnknownVersion,
    decode,
    encode,
)

DATA = Path(__file__).parent / "testdata"


def _today(kind: str, case: str = "today") -> dict:
    return json.loads((DATA / kind / f"{case}.json").read_text())["body"]


def test_unknown_kind_names_the_kind() -> None:
    with pytest.raises(UnknownKind) as exc:
        decode("weather.report", {"checkpoint_id": "cp"})
    assert exc.value.kind == "weather.report" and exc.value.reason == "unknown record kind"


def test_unknown_version_names_the_version_and_the_known_ones() -> None:
    with pytest.raises(UnknownVersion, match=r"schema version 2 \(known: \[1\]\)"):
        decode("fast_pass.loaded", {**_today("fast_pass.loaded"), VERSION_KEY: 2})
    with pytest.raises(UnknownVersion):
        decode("fast_pass.loaded", {**_today("fast_pass.loaded"), VERSION_KEY: "1"})


def test_version_one_is_todays_body_without_a_version_key() -> None:
    body = _today("fast_pass.loaded")
    assert decode("fast_pass.loaded", {**body, VERSION_KEY: 1}) == decode("fast_pass.loaded", body)
    assert VERSION_KEY not in encode(decode("fast_pass.loaded", body)).body


def test_invalid_body_names_each_field() -> None:
    with pytest.raises(InvalidBody) as exc:
        decode("fast_pass.loaded", {"checkpoint_id": "cp", "trucks": -1})
    assert "trucks" in exc.value.reason and "version: Field required" in exc.value.reason
    with pytest.raises(InvalidBody, match="must be a JSON object"):
        decode("fast_pass.loaded", ["not", "an", "object"])


def test_unknown_field_is_refused_not_dropped() -> None:
    with pytest.raises(InvalidBody, match="surprise"):
        decode("fast_pass.loaded", {**_today("fast_pass.loaded"), "surprise": 1})


def test_unknown_transition_action_is_refused() -> None:
    body = {**_today("inspection.transition", "today_release"), "action": "teleport"}
    with pytest.raises(InvalidBody, match="teleport"):
        decode("inspection.transition", body)


def test_transition_payload_is_typed_per_action() -> None:
    body = _today("inspection.transition", "today_arrive")
    with pytest.raises(InvalidBody, match="arrive payload: source"):
        decode("inspection.transition", {**body, "data": {"plate": body["plate"]}})


def test_optional_fields_are_left_out_when_unset() -> None:
    rec = AnalyzerResultRecord(
        checkpoint_id="cp",
        result_id="r",
        analyzer_id="an",
        sample_id=None,
        at="2026-11-23T00:30:00+00:00",
        indicators={"Mt": 5.0},
        uncertainty={},
    )
    kind, priority, body = encode(rec)
    assert (kind, priority) == ("analyzer.result", "critical")
    assert "entered_by" not in body and body["sample_id"] is None


def test_records_are_frozen() -> None:
    rec = decode("fast_pass.loaded", _today("fast_pass.loaded"))
    assert isinstance(rec, FastPassLoaded)
    with pytest.raises(ValueError):
        rec.trucks = 3  # type: ignore[misc]
