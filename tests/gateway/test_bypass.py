"""The exit camera reading a truck that was not let go raises a bypass alert at once."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.gateway.camera_http import live_gateway  # noqa: F401 (the live fixture)
from tests.gateway.conftest import FAILING, PASSING, drive_to_judged
from tests.gateway.test_cameras import plate_event

PLATE = "晋BWXQ4L"


def exit_read(clock, n: int, plate: str = PLATE, conf: float = 0.95) -> dict:
    return plate_event(clock, n, plate=plate, camera="cam-exit", conf=conf) | {"direction": "out"}


def bypass_alerts(gw) -> list[dict]:
    return [a for a in gw.alerts.open() if a["kind"] == "camera.bypass"]


def raised_records(gw) -> list[dict]:
    rows = gw.store.rows("SELECT body FROM records WHERE kind = 'alert.raised'")
    return [b for b in (json.loads(r["body"]) for r in rows) if b["kind"] == "camera.bypass"]


def test_exit_camera_reading_unreleased_plate_raises_bypass_alert(live, gw, clock):
    # Before: 晋BWXQ4L left while "已到站" and nothing happened.
    arrived = live.push(plate_event(clock, 1, plate=PLATE))
    iid = arrived["inspection_id"]
    assert gw.workflow.get(iid)["state"] == "arrived"
    clock.advance(timedelta(minutes=3))
    r = live.push(exit_read(clock, 1))
    assert r["status"] == "accepted" and r["inspection_id"] == iid
    [alert] = bypass_alerts(gw)
    assert alert["subject"] == PLATE
    [record] = raised_records(gw)  # the existing alert record, for the cloud
    assert record["plate"] == PLATE and record["camera_id"] == "cam-exit"
    assert (record["reason"], record["state"], record["inspection_id"]) == (
        "not_released",
        "arrived",
        iid,
    )
    page = live.read_page()
    assert f"{PLATE} 未经放行从出口驶离" in page
    # The exit camera reads it again: still one open alert.
    live.push(exit_read(clock, 2))
    assert len(bypass_alerts(gw)) == 1


def test_exit_of_never_arrived_plate_raises_bypass_alert(live, gw, clock):
    r = live.push(exit_read(clock, 1))
    assert r["status"] == "accepted" and r["inspection_id"] is None
    assert [a["subject"] for a in bypass_alerts(gw)] == [PLATE]
    [record] = raised_records(gw)
    assert (record["reason"], record["inspection_id"]) == ("never_arrived", None)
    assert gw.workflow.open_inspections() == []  # an exit read opens no arrival


def test_exit_of_released_plate_raises_no_alert(live, gw, clock):
    iid = drive_to_judged(gw, PASSING, plate=PLATE)
    gw.workflow.release(iid, "王五")
    clock.advance(timedelta(minutes=5))
    r = live.push(exit_read(clock, 1))
    assert r["status"] == "accepted" and r["inspection_id"] == iid  # evidence it left
    assert bypass_alerts(gw) == [] and raised_records(gw) == []


def test_exit_of_turned_back_plate_raises_bypass_alert(live, gw, clock):
    iid = drive_to_judged(gw, FAILING, plate=PLATE)
    gw.workflow.turn_back(iid, "王五")
    live.push(exit_read(clock, 1))
    [record] = raised_records(gw)
    assert (record["reason"], record["state"]) == ("not_released", "turned_back")


def test_release_long_ago_does_not_cover_a_new_exit(live, gw, clock):
    iid = drive_to_judged(gw, PASSING, plate=PLATE)
    gw.workflow.release(iid, "王五")
    clock.advance(timedelta(hours=5))  # [exit] released_within_minutes defaults to 240
    live.push(exit_read(clock, 1))
    assert [r["reason"] for r in raised_records(gw)] == ["never_arrived"]


def test_unsure_exit_read_and_other_cameras_raise_nothing(live, gw, clock):
    live.push(exit_read(clock, 1, conf=0.3))  # below the camera's min_confidence
    live.push(exit_read(clock, 2) | {"direction": "in"})
    live.push(plate_event(clock, 3, plate="冀Z99999", camera="cam-sample"))
    assert bypass_alerts(gw) == []
