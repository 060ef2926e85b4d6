"""The registry: encode/decode, versions, and the reasons it gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coalguard.edge.records import (
    VERSION_KEY,
    AnalyzerResultRecord,
    DutyBody,
    FastPassLoaded,
    HandoverBody,
    InvalidBody,
    LedgerEntryRecord,
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


def _ledger(case: str) -> dict:
    return _today("ledger.entry", case)


@pytest.mark.parametrize(
    ("case", "model"),
    [
        ("today_duty", DutyBody),
        ("today_handover", HandoverBody),
        ("typed_duty_off_duty", DutyBody),
        ("typed_handover_with_open_work", HandoverBody),
    ],
)
def test_duty_and_handover_bodies_decode_as_their_models(case: str, model: type) -> None:
    entry = decode("ledger.entry", _ledger(case))
    assert isinstance(entry, LedgerEntryRecord)
    typed = entry.typed_body
    assert isinstance(typed, model)
    assert typed.hashed() == entry.body  # the model gives back exactly what was hashed


def test_other_books_keep_an_untyped_body() -> None:
    entry = decode("ledger.entry", _ledger("today_inspection"))
    assert isinstance(entry, LedgerEntryRecord) and entry.typed_body is None


def test_handover_body_missing_a_field_is_refused_not_stored() -> None:
    """Handover bodies were untyped dicts: one without its equipment list decoded fine."""
    wire = _ledger("today_handover")
    body = {k: v for k, v in wire["body"].items() if k != "equipment"}
    with pytest.raises(InvalidBody, match="equipment"):
        decode("ledger.entry", {**wire, "body": body})


def test_duty_body_with_an_unknown_field_is_refused() -> None:
    wire = _ledger("today_duty")
    with pytest.raises(InvalidBody, match="surprise"):
        decode("ledger.entry", {**wire, "body": {**wire["body"], "surprise": 1}})


def test_handover_body_with_a_coerced_value_is_refused() -> None:
    """A value the model would change (here a count sent as text) would no longer match its hash."""
    wire = _ledger("today_handover")
    body = wire["body"]
    equipment = [{**body["equipment"][0], "errors": "1"}, *body["equipment"][1:]]
    with pytest.raises(InvalidBody, match="typed form"):
        decode("ledger.entry", {**wire, "body": {**body, "equipment": equipment}})
