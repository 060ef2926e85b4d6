"""Watched plates are highlighted on arrival: turned back here lately or often (local data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coalguard.edge.watchlist import WatchedPlate, WatchList
from tests.gateway.conftest import FAILING, drive_to_judged


def turn_back(gw, plate: str, sample: str) -> str:
    iid = drive_to_judged(gw, FAILING, plate=plate, sample=sample)
    gw.workflow.turn_back(iid, "王五")
    return iid


def codes(gw, plate: str, exclude: str | None = None) -> list[str]:
    return [f.code for f in gw.watch.flags(plate, exclude)]


def test_a_plate_turned_back_in_the_last_24_hours_is_flagged(gw, clock):
    first = turn_back(gw, "冀A12345", "S1")
    assert codes(gw, "冀A12345", exclude=first) == []  # its own turn-back does not count
    clock.advance(timedelta(hours=23, minutes=59))
    assert codes(gw, "冀a·12345") == ["recent_turn_back"]
    clock.advance(timedelta(minutes=2))
    assert codes(gw, "冀A12345") == []
    assert codes(gw, "冀B99999") == []


def test_a_plate_turned_back_n_times_in_30_days_is_flagged(gw, clock):
    for n in range(3):
        turn_back(gw, "冀A12345", f"S{n}")
        clock.advance(timedelta(days=9))
    flags = gw.watch.flags("冀A12345")
    assert [f.code for f in flags] == ["repeat_turn_back"]
    assert flags[0].params == {"times": 3, "days": 30}
    clock.advance(timedelta(days=12))  # the first is now 39 days old
    assert codes(gw, "冀A12345") == []


def test_the_repeat_count_is_configurable(gw, clock):
    gw.watch.rules = gw.config.watch.model_copy(update={"repeat_count": 2})
    for n in range(2):
        turn_back(gw, "冀A12345", f"S{n}")
        clock.advance(timedelta(days=2))
    assert codes(gw, "冀A12345") == ["repeat_turn_back"]


def test_the_cloud_list_is_cached_and_flags_arrivals(gw, clock):
    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    wl = WatchList(
        version="v1",
        days=30,
        plates=[
            WatchedPlate(plate="冀C00001", source="listed", reason="多次闯卡", at=at),
            WatchedPlate(
                plate="冀C00001",
                source="turned_back",
                at=at,
                times=2,
                checkpoint_id="cp-other",
                checkpoint="涿州检查站",
            ),
            # This checkpoint's own turn-backs come from its own data, not the cloud's copy.
            WatchedPlate(plate="冀C00002", source="turned_back", at=at, checkpoint_id="cp-test"),
        ],
    )
    gw.watch.replace(wl, "cloud")
    flags = gw.watch.flags("冀C00001")
    assert [(f.code, f.params) for f in flags] == [
        ("listed", {"reason": "多次闯卡"}),
        ("turned_back_nearby", {"times": 2, "checkpoint": "涿州检查站"}),
    ]
    assert codes(gw, "冀C00002") == []
