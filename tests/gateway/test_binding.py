"""The right sample on the right truck (issue 12): a result binds only to the sample it measured.

Today's page offered any of the last ten results, including ones measured
before the truck was even sampled, and a result could be moved from one
truck to another by binding it again.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from coalguard.edge.quality import Overall
from coalguard.edge.records.base import REGISTRY
from coalguard.gateway.binding import BindingRefused
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.results import DeviceReading
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import StoreSink
from coalguard.gateway.store import Store
from tests.gateway.conftest import FAILING, PASSING, config_dict, registration


def awaiting_sample(gw, plate: str) -> str:
    wf = gw.workflow
    iid = wf.arrive(plate, "王五")
    wf.register(iid, "王五", registration(plate))
    assert wf.check_fast_pass(iid, "王五") is False
    return iid


def sampled(gw, plate: str, seal: str = "F1") -> str:
    iid = awaiting_sample(gw, plate)
    gw.workflow.take_sample(iid, "王五", {"seal_no": seal})
    return iid


def live_bindings(gw) -> list[sqlite3.Row]:
    return gw.store.rows("SELECT * FROM result_bindings WHERE unbound_at IS NULL")


def test_result_measured_before_sampling_cannot_be_bound(gw, clock):
    wf = gw.workflow
    iid = awaiting_sample(gw, "冀A12345")
    early = wf.record_result("an-1", FAILING)  # the truck before this one, 08:30:00
    clock.advance(timedelta(minutes=5))
    wf.take_sample(iid, "王五", {"seal_no": "F1"})
    assert early not in [c["id"] for c in wf.bind_candidates(iid)]
    with pytest.raises(BindingRefused) as exc:
        wf.bind_result(iid, early, "王五")
    assert exc.value.key == "before_sampling"
    zh = exc.value.text("zh")
    assert "早于" in zh and "11-23 08:30:00" in zh and "11-23 08:35:00" in zh
    assert "before sample cp-test-20261123-001" in exc.value.text("en")
    assert wf.get(iid)["state"] == "sampled" and live_bindings(gw) == []
    # A result naming the sample but measured (device clock) before it was taken binds nothing.
    named = wf.record_result(
        "an-1",
        FAILING,
        sample_id="cp-test-20261123-001",
        reading=DeviceReading(sequence=9, measured_at=clock.now() - timedelta(minutes=1)),
    )
    assert wf.get(iid)["state"] == "sampled" and named not in [
        c["id"] for c in wf.bind_candidates(iid)
    ]
    # Measured after sampling: offered, with its values and the verdict it would give.
    clock.advance(timedelta(minutes=3))
    later = wf.record_result("an-1", PASSING)
    [offered] = wf.bind_candidates(iid)
    assert offered["id"] == later and offered["indicators"] == PASSING
    assert offered["verdict"].overall is Overall.PASS
    wf.bind_result(iid, later, "王五")
    assert wf.get(iid)["overall"] == "pass"


def test_result_bound_to_one_sample_cannot_bind_another(gw, clock):
    wf = gw.workflow
    first = sampled(gw, "冀A11111")
    second = sampled(gw, "冀A22222", seal="F2")
    clock.advance(timedelta(minutes=2))
    rid = wf.record_result("an-1", FAILING)
    wf.bind_result(first, rid, "王五")
    assert rid not in [c["id"] for c in wf.bind_candidates(second)]
    with pytest.raises(BindingRefused) as exc:
        wf.bind_result(second, rid, "王五")
    assert exc.value.key == "bound_elsewhere"
    assert "cp-test-20261123-001" in exc.value.text("zh") and "不能再绑定" in exc.value.text("zh")
    assert wf.get(second)["state"] == "sampled"
    # The database itself holds one live binding per result and per sample.
    with pytest.raises(sqlite3.IntegrityError), gw.store.tx() as db:
        db.execute(
            "INSERT INTO result_bindings(id, result_id, inspection_id, sample_id, how, "
            "bound_at, bound_by) VALUES ('x', ?, ?, 'cp-test-20261123-002', 'chosen', "
            "'2026-11-23T00:40:00.000000+00:00', 'op')",
            (rid, second),
        )
    [live] = live_bindings(gw)
    assert (live["result_id"], live["inspection_id"]) == (rid, first)


def test_unbinding_is_a_correction_with_reason(gw, clock):
    wf = gw.workflow
    wrong = sampled(gw, "冀A11111")
    right = sampled(gw, "冀A22222", seal="F2")
    clock.advance(timedelta(minutes=2))
    rid = wf.record_result("an-1", FAILING)
    wf.bind_result(wrong, rid, "王五")  # the operator picked the wrong truck
    assert wf.get(wrong)["overall"] == "fail"
    assert "unbind_result" in wf.next_actions(wf.get(wrong))
    with pytest.raises(GatewayError) as exc:
        wf.unbind_result(wrong, "赵班长", " ")
    assert exc.value.key == "reason_required"
    clock.advance(timedelta(minutes=1))
    wf.unbind_result(wrong, "赵班长", "绑错车辆：该结果属于冀A22222")
    insp = wf.get(wrong)
    assert insp["state"] == "sampled" and insp["result"] is None and insp["overall"] is None
    step = wf.steps(wrong)[-1]
    assert (step["action"], step["operator"], step["reason"]) == (
        "unbind_result",
        "赵班长",
        "绑错车辆：该结果属于冀A22222",
    )
    assert step["data"]["result_id"] == rid and step["data"]["previous_overall"] == "fail"
    # The binding is kept, closed with who, when and why; never edited nor deleted.
    row = gw.store.row("SELECT * FROM result_bindings WHERE result_id = ?", (rid,))
    assert (row["inspection_id"], row["unbound_by"], row["unbind_reason"]) == (
        wrong,
        "赵班长",
        "绑错车辆：该结果属于冀A22222",
    )
    for sql in (
        "UPDATE result_bindings SET inspection_id = 'other'",
        "UPDATE result_bindings SET unbind_reason = 'rewritten'",
        "DELETE FROM result_bindings",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="never"), gw.store.tx() as db:
            db.execute(sql)
    # In the ledger, and sent to the cloud as a typed record (inspection.transition, newest).
    latest = gw.ledger.entries("inspection", limit=1)[0]
    assert (latest.kind, latest.operator, latest.body["reason"]) == (
        "unbind_result",
        "赵班长",
        "绑错车辆：该结果属于冀A22222",
    )
    body = json.loads(
        gw.store.scalar(
            "SELECT body FROM records WHERE kind = 'inspection.transition' "
            "AND json_extract(body, '$.action') = 'unbind_result'"
        )
    )
    newest = max(v for k, v in REGISTRY if k == "inspection.transition")  # what the gateway writes
    assert body["schema_version"] == newest and body["reason"] == "绑错车辆：该结果属于冀A22222"
    # The result is free again: it goes to the truck it belongs to.
    wf.bind_result(right, rid, "王五")
    assert wf.get(right)["overall"] == "fail"
    with pytest.raises(GatewayError):
        wf.unbind_result(wrong, "赵班长", "again")  # nothing bound any more


@pytest.fixture
def two_lanes(tmp_path, clock):
    """Two sampling lanes, each with its own analyzer."""
    cfg = config_dict(tmp_path / "lanes")
    cfg["analyzer"] = [
        {"id": "an-1", "model": "generic-tcp-int16", "transport": "tcp", "host": "127.0.0.1"},
        {"id": "an-2", "model": "generic-tcp-int16", "transport": "tcp", "host": "127.0.0.1"},
    ]
    cfg["lane"] = [
        {"id": "lane-1", "name": "1号道", "analyzers": ["an-1"]},
        {"id": "lane-2", "name": "2号道", "analyzers": ["an-2"]},
    ]
    config = GatewayConfig.model_validate(cfg)
    store = Store(config.db_path)
    yield Gateway.build(config, store, StoreSink(store, clock), clock)
    store.close()


def test_result_of_another_lane_is_not_offered_nor_bound(two_lanes, clock):
    gw = two_lanes
    wf = gw.workflow
    iid = awaiting_sample(gw, "冀A12345")
    with pytest.raises(BindingRefused) as exc:  # two lanes: the operator says which
        wf.take_sample(iid, "王五", {"seal_no": "F1"})
    assert exc.value.key == "lane_required" and "lane-1, lane-2" in exc.value.text("zh")
    wf.take_sample(iid, "王五", {"seal_no": "F1", "lane": "lane-2"})
    clock.advance(timedelta(minutes=1))
    other = wf.record_result("an-1", FAILING)
    own = wf.record_result("an-2", PASSING)
    assert [c["id"] for c in wf.bind_candidates(iid)] == [own]
    with pytest.raises(BindingRefused) as exc:
        wf.bind_result(iid, other, "王五")
    assert exc.value.key == "other_lane" and "an-1" in exc.value.text("en")
    wf.bind_result(iid, own, "王五")
    assert wf.get(iid)["overall"] == "pass" and wf.get(iid)["lane"] == "lane-2"
