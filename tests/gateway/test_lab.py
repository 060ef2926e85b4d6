"""Lab chain of custody (R5): deadlines with a controllable clock, office referral."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coalguard.edge.quality.profiles import SHIPPED_DIR as PROFILES_DIR
from coalguard.gateway.errors import IllegalTransition
from coalguard.gateway.service import Gateway
from tests.gateway.conftest import FAILING, PASSING, RETEST, drive_to_judged


def _lab(gw, indicators=RETEST):
    iid = drive_to_judged(gw, indicators)
    return iid, gw.workflow.lab_sample(iid, "王五", {"sample_id": "L1", "seal_no": "F1"})


def _open_alerts(gw, kind):
    return [a for a in gw.alerts.open() if a["kind"] == kind]


def test_dispatch_overdue_after_24h_raises_one_alert(gw, clock):
    _, lab_id = _lab(gw)
    clock.advance(timedelta(hours=23, minutes=59))
    assert gw.lab.check_deadlines() == []
    clock.advance(timedelta(minutes=2))
    assert gw.lab.check_deadlines() == ["L1"]
    assert gw.lab.check_deadlines() == []  # once, not every tick
    assert len(_open_alerts(gw, "lab.dispatch_overdue")) == 1
    assert gw.lab.pending()[0]["overdue"] is True
    gw.lab.dispatch(lab_id, "王五", "省煤质检测中心")
    assert gw.lab.pending()[0]["step"] == "receive"


def test_report_overdue_two_days_after_receipt(gw, clock):
    _, lab_id = _lab(gw)
    gw.lab.dispatch(lab_id, "王五", "省煤质检测中心")
    clock.advance(timedelta(hours=30))  # in transit: no deadline runs until receipt
    assert gw.lab.check_deadlines() == []
    gw.lab.receive(lab_id, "王五")
    pend = gw.lab.pending()[0]
    assert pend["step"] == "report"
    clock.advance(timedelta(days=2, minutes=-1))
    assert gw.lab.check_deadlines() == []
    clock.advance(timedelta(minutes=2))
    assert gw.lab.check_deadlines() == ["L1"]
    assert len(_open_alerts(gw, "lab.report_overdue")) == 1
    gw.lab.report(lab_id, "王五", "R-1", PASSING)
    assert _open_alerts(gw, "lab.report_overdue") == []
    assert gw.lab.pending() == []


def test_failing_lab_report_is_referred_to_the_office(gw):
    iid, lab_id = _lab(gw, FAILING)
    gw.lab.dispatch(lab_id, "王五", "省煤质检测中心")
    gw.lab.receive(lab_id, "王五")
    v = gw.lab.report(lab_id, "王五", "R-9", FAILING)
    assert v.overall.value == "fail"
    assert v.profile_id == gw.workflow.get(iid)["profile_id"]  # same profile as the rapid test
    got = gw.lab.get(lab_id)
    assert got["office_flagged"] == 1 and got["report"]["report_no"] == "R-9"
    assert gw.sink.kinds()["lab.office_referral"] == 1
    assert len(_open_alerts(gw, "lab.failed")) == 1


def test_steps_out_of_order_are_refused(gw):
    iid, lab_id = _lab(gw)
    with pytest.raises(IllegalTransition):
        gw.lab.receive(lab_id, "王五")
    with pytest.raises(IllegalTransition):
        gw.lab.report(lab_id, "王五", "R", PASSING)
    gw.lab.dispatch(lab_id, "王五", "lab")
    with pytest.raises(IllegalTransition):
        gw.lab.dispatch(lab_id, "王五", "lab")
    # the case stays open until the report is in
    with pytest.raises(IllegalTransition) as exc:
        gw.workflow.close_case(iid, "王五", "done")
    assert "L1" in str(exc.value)
    gw.lab.receive(lab_id, "王五")
    gw.lab.report(lab_id, "王五", "R", PASSING)
    gw.workflow.close_case(iid, "王五", "实验室合格")
    assert gw.workflow.get(iid)["case_open"] is False


def test_sampling_ledger_has_each_custody_step(gw):
    _, lab_id = _lab(gw)
    gw.lab.dispatch(lab_id, "王五", "lab")
    gw.lab.receive(lab_id, "王五")
    gw.lab.report(lab_id, "王五", "R", PASSING)
    kinds = [e.kind for e in reversed(gw.ledger.entries("sampling"))]
    assert kinds == [
        "rapid_sample",
        "lab.sampled",
        "lab.dispatched",
        "lab.received",
        "lab.reported",
    ]


def test_lab_verdict_uses_the_rapid_verdicts_profile(gw, tmp_path, clock):
    """The gateway restarts with a newer version of the profile between the rapid test and
    the lab report: the lab is still judged by the limits and version the rapid verdict used."""
    iid, lab_id = _lab(gw, FAILING)
    rapid = gw.workflow.get(iid)["verdict"]
    newer = tmp_path / "profiles"
    newer.mkdir()
    shipped = PROFILES_DIR / "gb34169-2017-anthracite-1.toml"
    text = shipped.read_text(encoding="utf-8")
    text = text.replace('version = "2017"', 'version = "2099-tighter"')
    text = text.replace("max = 12.50", "max = 5.00")  # Ad: every sample below now fails
    (newer / "anthracite-1.toml").write_text(text, encoding="utf-8")
    cfg = gw.config.model_copy(update={"profiles_dirs": [newer]})
    later = Gateway.build(cfg, gw.store, gw.sink, clock)
    assert later.profiles.get(rapid["profile_id"]).version == "2099-tighter"

    later.lab.dispatch(lab_id, "王五", "省煤质检测中心")
    later.lab.receive(lab_id, "王五")
    v = later.lab.report(lab_id, "王五", "R-2", PASSING)

    assert (v.profile_id, v.profile_version) == (rapid["profile_id"], rapid["profile_version"])
    assert v.overall.value == "pass"  # Ad 10.2 % is within the 12.50 the rapid test used
    (ad,) = [i for i in v.indicators if i.indicator == "Ad"]
    assert ad.max == 12.5
