"""A real gateway turning a truck back, sending its sample to the lab, and the lab failing it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from coalguard.edge.clock import ManualClock
from coalguard.gateway.service import Gateway
from tests.cloud.checks.checkpoint_feed import START, build_gateway
from tests.gateway.conftest import FAILING, registration

CHECKPOINT, REGION, PLATE = "cp-zz", "130102", "冀A20000"


def failing_lab_case(tmp: Path) -> tuple[Gateway, ManualClock, str, str]:
    """After a turn-back whose lab report fails: (gateway, clock, inspection id, lab id)."""
    clock = ManualClock(START)
    gw = build_gateway(tmp, CHECKPOINT, REGION, clock)
    wf = gw.workflow
    iid = wf.arrive(PLATE, "王五")
    wf.register(iid, "王五", registration(PLATE))
    wf.check_fast_pass(iid, "王五")
    sample = wf.take_sample(iid, "王五", {"seal_no": "F-S9"})
    wf.record_result("an-1", FAILING, sample_id=sample)
    wf.turn_back(iid, "王五", "灰分、硫分超标", lab={"sample_id": "L9", "seal_no": "F-L9"})
    (lab,) = gw.lab.for_inspection(iid)
    clock.advance(timedelta(hours=2))
    gw.lab.dispatch(lab["id"], "王五", "河北省煤质检测中心")
    clock.advance(timedelta(hours=5))
    gw.lab.receive(lab["id"], "赵六")
    clock.advance(timedelta(days=1))
    gw.lab.report(lab["id"], "赵六", "R-2026-009", FAILING)
    return gw, clock, iid, lab["id"]
