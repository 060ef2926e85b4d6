"""Camera event ids repeat after a counter reset: a new read is never dropped as a duplicate."""

from __future__ import annotations

import re
from datetime import timedelta

from coalguard.simulators.camera import CameraSim
from tests.gateway.camera_http import live_gateway  # noqa: F401 (the live fixture)
from tests.gateway.test_cameras import plate_event
from tests.support.metrics import sample


def resets(gw, camera: str = "cam-entry") -> int:
    return gw.devices.get(camera)["counter_resets"]


def test_reused_camera_event_id_after_counter_reset_is_not_dropped(live, gw, clock):
    # Before: the camera restarted, sent "cam-entry-1" again for a new truck,
    # and the gateway answered "duplicate": no read, no arrival, the truck unseen.
    first = live.push(plate_event(clock, 1, plate="冀A11111"))
    live.push(plate_event(clock, 2, plate="冀A22222"))
    clock.advance(timedelta(hours=2))
    again = live.push(plate_event(clock, 1, plate="冀B33333"))  # counter back at 1
    assert again["status"] == "accepted" and again["id"] != first["id"]
    insp = gw.workflow.get(again["inspection_id"])
    assert (insp["plate"], insp["state"]) == ("冀B33333", "arrived")
    assert resets(gw) == 1
    # The rest of the new run reuses ids too: the same reset, not one more.
    assert live.push(plate_event(clock, 2, plate="冀B44444"))["status"] == "accepted"
    assert resets(gw) == 1 and resets(gw, "cam-exit") == 0
    # A second reset is counted again.
    clock.advance(timedelta(hours=1))
    assert live.push(plate_event(clock, 1, plate="冀C55555"))["status"] == "accepted"
    assert resets(gw) == 2
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events WHERE camera_id='cam-entry'") == 5
    metrics = live.camera.get("/metrics").text
    name = "coalguard_gateway_camera_counter_resets_total"
    assert sample(metrics, name, camera="cam-entry") == 2
    assert sample(metrics, name, camera="cam-exit") == 0
    page = live.read_page()
    assert "<th>计数重置</th>" in page
    assert re.search(r"<tr><td>cam-entry</td>(<td>[^<]*</td>){4}<td>2</td></tr>", page)


def test_true_duplicate_is_still_deduplicated_across_a_counter_reset(live, gw, clock):
    old = plate_event(clock, 1, plate="冀A11111")
    assert live.push(old)["status"] == "accepted"
    assert live.push(old)["status"] == "duplicate"  # same id, plate and time: a retry
    clock.advance(timedelta(hours=1))
    new = plate_event(clock, 1, plate="冀B22222")
    assert live.push(new)["status"] == "accepted"
    assert live.push(new)["status"] == "duplicate"
    assert live.push(old)["status"] == "duplicate"  # a late retry of the old run
    assert gw.cameras.counters.duplicates == 3 and resets(gw) == 1
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 2


def test_same_id_and_time_with_another_plate_is_a_new_read(live, gw, clock):
    ev = plate_event(clock, 7, plate="冀A11111")
    live.push(ev)
    assert live.push(ev | {"plate": "冀A77777"})["status"] == "accepted"
    assert resets(gw) == 1


def test_simulated_camera_restarts_lose_no_read(live, gw, clock):
    # 10 trucks, 3 events each, counters restarting every 9 events (runs of 9, 9, 9, 3),
    # a fifth of the events posted twice as a retrying camera does.
    sim = CameraSim(
        cameras=["cam-entry", "cam-sample", "cam-exit"],
        duplicate_rate=0.2,
        counter_reset_after=9,
        seed=3,
        start=clock.now(),
    )
    events = list(sim.stream(count=10))
    reads = {(e["camera_id"], e["event_id"], e["ts"], e.get("plate")) for e in events}
    assert len({(e["camera_id"], e["event_id"]) for e in events}) < len(reads) == 30
    answers = [live.push(e)["status"] for e in events]
    assert answers.count("accepted") == 30
    assert answers.count("duplicate") == len(events) - 30 > 0
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 30
    assert [resets(gw, c) for c in ("cam-entry", "cam-sample", "cam-exit")] == [3, 3, 3]
