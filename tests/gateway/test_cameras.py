"""Camera metadata (R9): intake, duplicates, dead letters, linking, retention, silence."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from coalguard.gateway.cameras import CameraDesk
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.stored_time import iso
from tests.gateway.conftest import FAILING, PASSING, drive_to_judged

SHA = hashlib.sha256(b"jpeg").hexdigest()


def plate_event(clock, n: int, plate: str = "冀A12345", camera: str = "cam-entry", conf=0.95):
    return {
        "v": 1,
        "camera_id": camera,
        "event_id": f"{camera}-{n}",
        "type": "plate",
        "ts": iso(clock.now()),
        "plate": plate,
        "confidence": conf,
        "direction": "in",
        "snapshot": {"ref": f"nvr://{camera}/{n}.jpg", "sha256": SHA},
    }


def test_confident_entry_read_opens_an_arrival_and_links(gw, clock):
    r = gw.cameras.intake(plate_event(clock, 1))
    assert r.status == "accepted" and r.inspection_id
    insp = gw.workflow.get(r.inspection_id)
    assert insp["state"] == "arrived" and insp["source"] == "camera"
    # a second read of the same truck at another camera links, no new arrival
    r2 = gw.cameras.intake(plate_event(clock, 2, camera="cam-sample"))
    assert r2.inspection_id == r.inspection_id
    assert len(gw.cameras.for_inspection(r.inspection_id)) == 2
    assert len(gw.workflow.open_inspections()) == 1


def test_duplicates_are_stored_once(gw, clock):
    ev = plate_event(clock, 1)
    assert gw.cameras.intake(ev).status == "accepted"
    assert gw.cameras.intake(ev).status == "duplicate"
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 1
    assert gw.cameras.counters.duplicates == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ts": "2026-11-23T08:00:00"}, "ts"),
        ({"confidence": 1.7}, "confidence"),
        ({"snapshot": {"ref": "x", "sha256": "abc"}}, "snapshot.sha256"),
        ({"camera_id": "cam-nowhere"}, "unknown camera"),
        ({"plate": None}, "plate"),
    ],
)
def test_bad_events_are_dead_lettered_with_the_reason(gw, clock, change, field):
    r = gw.cameras.intake(plate_event(clock, 1) | change)
    assert r.status == "rejected" and field in r.reason
    row = gw.store.row("SELECT reason, raw FROM camera_dead_letters")
    assert field in row["reason"] and "cam-" in row["raw"]
    assert gw.cameras.counters.rejected == 1
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 0


def test_low_confidence_misread_is_linked_at_registration(gw, clock):
    r = gw.cameras.intake(plate_event(clock, 1, plate="冀A1234S", conf=0.4))
    assert r.status == "accepted" and r.inspection_id is None  # too unsure to open an arrival
    iid = gw.workflow.arrive("冀A12345", "王五")
    assert [e["plate"] for e in gw.cameras.for_inspection(iid)] == ["冀A1234S"]


def _age_out(gw, clock, days):
    clock.advance(timedelta(days=days))


def test_nothing_younger_than_90_days_is_purged_and_held_events_stay(gw, clock):
    # An unlinked read, a released truck's reads, a failed truck's reads.
    gw.cameras.intake(plate_event(clock, 1, plate="冀C00001", conf=0.3))
    ok = drive_to_judged(gw, PASSING, plate="冀C00002", sample="S2")
    gw.cameras.intake(plate_event(clock, 2, plate="冀C00002", camera="cam-sample"))
    gw.workflow.release(ok, "op")
    bad = drive_to_judged(gw, FAILING, plate="冀C00003", sample="S3")
    gw.cameras.intake(plate_event(clock, 3, plate="冀C00003", camera="cam-sample"))
    gw.workflow.turn_back(bad, "op")
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 3

    for _ in range(91):  # a daily purge for 91 days (the default window is 92)
        _age_out(gw, clock, 1)
        assert gw.cameras.purge().purged == 0
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 3

    _age_out(gw, clock, 1.1)
    run = gw.cameras.purge()
    assert (run.purged, run.held, run.examined) == (2, 1, 3)
    left = gw.store.rows("SELECT plate FROM camera_events")
    assert [r["plate"] for r in left] == ["冀C00003"]  # the failed truck's evidence is held
    logged = gw.store.row("SELECT * FROM purge_runs ORDER BY at DESC LIMIT 1")
    assert (logged["purged"], logged["held"]) == (2, 1)

    gw.workflow.close_case(bad, "op", "已处理")
    assert gw.cameras.purge().purged == 1


def test_purge_runs_in_batches(gw, clock):
    gw.cameras.purge_batch = 7
    for n in range(20):
        gw.cameras.intake(plate_event(clock, n, plate=f"冀D{n:05d}", conf=0.1))
    _age_out(gw, clock, 93)
    gw.cameras.intake(plate_event(clock, 99, plate="冀D99999", conf=0.1))  # fresh: stays
    run = gw.cameras.purge()
    assert run.purged == 20 and run.batches == 3
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 1


def test_event_with_a_stale_camera_clock_is_not_purged_early(gw, clock):
    ev = plate_event(clock, 1, conf=0.1) | {"ts": iso(clock.now() - timedelta(days=200))}
    gw.cameras.intake(ev)
    assert gw.cameras.purge().purged == 0  # received today: kept the full window


def test_retention_below_90_days_is_refused(gw):
    with pytest.raises(GatewayError, match="90"):
        CameraDesk(
            gw.store,
            gw.sink,
            gw.alerts,
            gw.devices,
            gw.workflow,
            gw.clock,
            gw.config.cameras,
            "cp",
            retention_days=60,
        )


def test_silent_camera_raises_then_clears(gw, clock):
    clock.advance(timedelta(seconds=299))
    assert "cam-entry" not in gw.cameras.check_silent()
    clock.advance(timedelta(seconds=2))
    assert "cam-entry" in gw.cameras.check_silent()
    gw.cameras.check_silent()
    opened = [a for a in gw.alerts.open() if a["kind"] == "camera.silent"]
    assert [a["subject"] for a in opened] == ["cam-entry"]  # others expect 600 s
    gw.cameras.intake(plate_event(clock, 1, conf=0.1))
    assert [a for a in gw.alerts.open() if a["kind"] == "camera.silent"] == []
    assert gw.sink.kinds()["alert.cleared"] == 1


def test_camera_push_retried_after_a_crash_opens_its_arrival(gw, clock):
    # Regression: the event committed first and the arrival in a second
    # transaction; a crash between them left the event stored, and the retried
    # push answered "duplicate" with no arrival, ever.
    db = gw.store.connection
    db.execute(
        "CREATE TEMP TRIGGER crash_before_arrival BEFORE INSERT ON inspections "
        "BEGIN SELECT RAISE(ABORT, 'process killed'); END"
    )
    ev = plate_event(clock, 1)
    with pytest.raises(Exception, match="process killed"):
        gw.cameras.intake(ev)
    db.execute("DROP TRIGGER crash_before_arrival")
    r = gw.cameras.intake(ev)  # the camera retries its push
    assert r.status == "accepted" and r.inspection_id
    assert gw.workflow.get(r.inspection_id)["state"] == "arrived"
    assert [e["event_id"] for e in gw.cameras.for_inspection(r.inspection_id)] == ["cam-entry-1"]
    again = gw.cameras.intake(ev)
    assert again.status == "duplicate" and again.inspection_id == r.inspection_id
