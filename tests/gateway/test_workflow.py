"""Inspection workflow (R7): legal paths, refused steps, every step recorded."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from coalguard.edge.fastpass import FastPassList
from coalguard.gateway.errors import GatewayError, IllegalTransition
from coalguard.gateway.workflow import State
from tests.gateway.conftest import (
    FAILING,
    INCOMPLETE,
    PASSING,
    RETEST,
    drive_to_judged,
    registration,
)


def test_pass_path_records_every_step_with_time_operator_reason(gw, clock):
    iid = drive_to_judged(gw, PASSING)
    insp = gw.workflow.get(iid)
    assert insp["state"] == "judged" and insp["overall"] == "pass"
    assert insp["profile_id"] == "gb34169-2017/anthracite-1"
    assert gw.workflow.next_actions(insp)[0] == "release"
    gw.workflow.release(iid, "王五")
    steps = gw.workflow.steps(iid)
    assert [s["action"] for s in steps] == [
        "arrive",
        "register",
        "check_fast_pass",
        "take_sample",
        "bind_result",
        "judge",
        "release",
    ]
    assert [s["to_state"] for s in steps][-1] == "released"
    assert all(s["operator"] and s["reason"] and s["at"] for s in steps)
    assert steps[4]["reason"] == "sample id match" and steps[4]["operator"] == "system"
    # each step went to the record sink and the inspection ledger
    kinds = gw.sink.kinds()
    assert kinds["inspection.transition"] == 7
    assert len(gw.ledger.entries("inspection")) == 7
    assert gw.workflow.get(iid)["case_open"] is False


def test_fail_turns_back_and_opens_a_case(gw):
    iid = drive_to_judged(gw, FAILING)
    insp = gw.workflow.get(iid)
    assert insp["overall"] == "fail"
    assert gw.workflow.next_actions(insp)[0] == "turn_back"
    with pytest.raises(IllegalTransition) as exc:
        gw.workflow.release(iid, "王五")
    assert "fail" in str(exc.value) and "turn_back" in str(exc.value)
    assert "不能执行" in exc.value.text("zh")
    gw.workflow.turn_back(iid, "王五", "硫分超标", lab={"sample_id": "S1-L", "seal_no": "F9"})
    insp = gw.workflow.get(iid)
    assert insp["state"] == "turned_back" and insp["case_open"] is True
    assert gw.lab.pending()[0]["sample_id"] == "S1-L"  # as typed at turn-back


def test_retest_defaults_to_lab_sample_and_never_turns_back(gw):
    iid = drive_to_judged(gw, RETEST)
    insp = gw.workflow.get(iid)
    assert insp["overall"] == "retest"
    assert gw.workflow.next_actions(insp)[0] == "lab_sample"
    with pytest.raises(IllegalTransition):
        gw.workflow.turn_back(iid, "王五")
    with pytest.raises(IllegalTransition):
        gw.workflow.release(iid, "王五")
    lab_id = gw.workflow.lab_sample(iid, "王五")
    assert gw.workflow.get(iid)["state"] == "lab_sample"
    assert gw.lab.get(lab_id)["sample_id"] == insp["sample_id"] + "-L"


def test_incomplete_result_can_be_tested_again(gw):
    iid = drive_to_judged(gw, INCOMPLETE)
    assert gw.workflow.get(iid)["overall"] == "incomplete"
    gw.workflow.rerun(iid, "王五", "缺全水分")
    assert gw.workflow.get(iid)["state"] == "sampled"
    rid = gw.workflow.record_result("an-1", PASSING)  # no sample id: operator picks it
    assert gw.workflow.get(iid)["state"] == "sampled"
    gw.workflow.bind_result(iid, rid, "王五")
    insp = gw.workflow.get(iid)
    assert insp["overall"] == "pass"
    assert gw.workflow.steps(iid)[-2]["reason"] == "chosen by operator"


@pytest.mark.parametrize(
    ("action", "call"),
    [
        (
            "take_sample",
            lambda wf, i: wf.take_sample(i, "op", {"seal_no": "F"}),
        ),
        ("release", lambda wf, i: wf.release(i, "op")),
        ("turn_back", lambda wf, i: wf.turn_back(i, "op")),
        ("check_fast_pass", lambda wf, i: wf.check_fast_pass(i, "op")),
    ],
)
def test_illegal_steps_from_arrival_are_refused_and_change_nothing(gw, action, call):
    iid = gw.workflow.arrive("冀B54321", "op")
    before = gw.sink.depth()
    with pytest.raises(IllegalTransition) as exc:
        call(gw.workflow, iid)
    msg = str(exc.value)
    assert action in msg and "arrived" in msg and "register" in msg
    assert gw.workflow.get(iid)["state"] == "arrived"
    assert len(gw.workflow.steps(iid)) == 1
    assert gw.sink.depth() == before


def test_closed_inspection_refuses_further_steps(gw):
    iid = drive_to_judged(gw, PASSING)
    gw.workflow.release(iid, "op")
    with pytest.raises(IllegalTransition):
        gw.workflow.turn_back(iid, "op")
    with pytest.raises(IllegalTransition):
        gw.workflow.cancel(iid, "op", "mistake")


def test_registration_is_validated_and_names_the_field(gw):
    iid = gw.workflow.arrive("冀A12345", "op")
    bad = registration() | {"weight_t": -3}
    with pytest.raises(GatewayError) as exc:
        gw.workflow.register(iid, "op", bad)
    assert "weight_t" in str(exc.value)
    with pytest.raises(GatewayError) as exc:
        gw.workflow.register(iid, "op", registration() | {"coal_type": "peat"})
    assert "coal_type" in str(exc.value)
    with pytest.raises(GatewayError) as exc:
        gw.workflow.register(iid, "", registration())
    assert "operator" in str(exc.value)
    assert gw.workflow.get(iid)["state"] == "arrived"


def test_registration_corrects_a_misread_plate(gw):
    iid = gw.workflow.arrive("冀A1234B", "camera:cam-entry", source="camera")
    gw.workflow.register(iid, "op", registration("冀A12345"))
    insp = gw.workflow.get(iid)
    assert insp["plate"] == "冀A12345"
    assert gw.workflow.steps(iid)[1]["data"]["plate_corrected_from"] == "冀A1234B"


def test_cancel_needs_a_reason(gw):
    iid = gw.workflow.arrive("冀A12345", "op")
    with pytest.raises(GatewayError):
        gw.workflow.cancel(iid, "op", " ")
    gw.workflow.cancel(iid, "op", "误登记")
    assert gw.workflow.get(iid)["state"] == "cancelled"


def test_format_one_list_still_reads_but_cannot_pass_a_truck(gw):
    """An old list (no coal type, validity or quantity) loads; its trucks are inspected."""
    fl = FastPassList.model_validate(
        {
            "version": "v1",
            "truck": [
                {
                    "plate": "冀E00001",
                    "company": "热电厂",
                    "report_id": "QR-1",
                    "expires": "2026-12-31",
                }
            ],
        }
    )
    assert fl.format == 1
    gw.fast_pass.replace(fl, "test")
    iid = gw.workflow.arrive("冀E·00001", "op")
    gw.workflow.register(iid, "op", registration("冀E00001", consignor="热电厂"))
    assert gw.workflow.check_fast_pass(iid, "op") is False
    insp = gw.workflow.get(iid)
    assert insp["state"] == "awaiting_sample"
    assert [m["code"] for m in insp["fast_pass"]["mismatches"]] == ["list_format_old"]
    assert gw.workflow.steps(iid)[-1]["reason"] == "fast pass: mismatch"


def test_gateway_issues_unique_readable_sample_ids(gw, clock):
    first = gw.workflow.get(drive_to_judged(gw, PASSING, plate="冀A11111"))
    second = gw.workflow.get(drive_to_judged(gw, PASSING, plate="冀A22222"))
    assert (first["sample_id"], second["sample_id"]) == (
        "cp-test-20261123-001",
        "cp-test-20261123-002",
    )
    # the label's fields: seal, the signed-in sampler, the Clock's time
    assert first["seal"] == "F-S1" and first["sampler"] == "王五"
    assert first["sampled_at"] == "2026-11-23T00:30:00.000000+00:00"
    clock.advance(timedelta(hours=16))  # 00:30 the next day in Asia/Shanghai
    third = gw.workflow.get(drive_to_judged(gw, PASSING, plate="冀A33333"))
    assert third["sample_id"] == "cp-test-20261124-001"
    # the database holds each sample id once
    with pytest.raises(sqlite3.IntegrityError), gw.store.tx() as db:
        db.execute(
            "UPDATE inspections SET sample_id = ? WHERE id = ?", (first["sample_id"], third["id"])
        )


def test_records_carry_ids_and_checkpoint(gw):
    drive_to_judged(gw, FAILING)
    rows = gw.store.rows("SELECT kind, body FROM records WHERE kind = 'inspection.transition'")
    bodies = [json.loads(r["body"]) for r in rows]
    assert {b["checkpoint_id"] for b in bodies} == {"cp-test"}
    judged = next(b for b in bodies if b["action"] == "judge")
    ads = {i["indicator"]: i for i in judged["data"]["verdict"]["indicators"]}
    assert ads["Ad"]["status"] == "fail" and ads["Ad"]["max"] == 12.5
    assert State(judged["to"]) is State.JUDGED


def test_impossible_analyzer_values_are_refused_before_storing(gw):
    with pytest.raises(GatewayError) as exc:
        gw.workflow.record_result("an-1", {"Mad": -1.0, "Aad": 10.0}, sample_id="S9")
    assert "Mad" in str(exc.value)
    with pytest.raises(GatewayError):
        gw.workflow.record_result("an-1", {"Xyz": 1.0})
    assert gw.store.scalar("SELECT COUNT(*) FROM analyzer_results") == 0
