"""The checkpoint-morning scenario through the real workflow."""

from __future__ import annotations

from datetime import date

from coalguard.gateway.scenario import FAST_PASS_PLATE, fast_pass_list, plan_morning, run_morning


def test_morning_of_thirty_trucks(gw):
    plans = plan_morning(30, seed=3)
    assert len({p.plate for p in plans}) == 30
    assert sum(p.kind == "fast_pass" for p in plans) == 1
    assert sum(p.kind == "retest" for p in plans) == 1
    gw.fast_pass.replace(fast_pass_list(date(2027, 3, 31)), "test")
    result = run_morning(gw, plans, operator="王五")
    fails = sum(p.kind == "fail" for p in plans)
    assert result.outcomes == {
        "release": 30 - fails - 2,
        "turn_back": fails,
        "fast_pass": 1,
        "lab_sample": 1,
    }
    states = dict(gw.store.rows("SELECT plate, state FROM inspections"))
    assert states[FAST_PASS_PLATE] == "released"
    retest = next(p.plate for p in plans if p.kind == "retest")
    assert states[retest] == "lab_sample"
    assert len(gw.lab.pending()) == fails + 1
    assert gw.ledger.verify()[1] == []
