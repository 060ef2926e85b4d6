"""The simulated alarm meets EN 50291-1's timing points; the room model behaves."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from coalguard.drivers.co_alarm import AlarmLevel
from coalguard.errors import DataFileError
from coalguard.simulators.co_fleet import AlarmLogic, list_scenarios, load_scenario, load_timing
from coalguard.simulators.co_fleet.room import Room
from coalguard.simulators.co_fleet.timing import Timing

STEP_MIN = 0.1  # the fleet steps alarms every few simulated seconds


def minutes_until_alarm(timing: Timing, ppm: float, limit_min: float) -> float:
    logic = AlarmLogic(timing)
    t = 0.0
    while t < limit_min:
        t += STEP_MIN
        if logic.step(ppm, STEP_MIN) is AlarmLevel.ALARM:
            return t
    return math.inf


REQS = load_timing().requirement


@pytest.mark.parametrize("req", REQS, ids=[f"{r.ppm:g}ppm" for r in REQS])
def test_alarm_time_meets_en50291_point(req) -> None:  # type: ignore[no-untyped-def]
    timing = load_timing()
    t = minutes_until_alarm(timing, req.ppm, limit_min=240)
    if req.no_alarm_before_min is not None:
        assert t > req.no_alarm_before_min, f"{req.ppm} ppm alarmed after {t} min"
    if req.alarm_after_min is not None:
        assert t >= req.alarm_after_min, f"{req.ppm} ppm alarmed too early ({t} min)"
    if req.alarm_before_min is not None:
        assert t <= req.alarm_before_min, f"{req.ppm} ppm alarmed too late ({t} min)"


def test_requirements_cover_the_published_table() -> None:
    assert {r.ppm for r in REQS} == {30, 50, 100, 300}


def test_alarm_clears_when_air_is_clean_again() -> None:
    logic = AlarmLogic(load_timing())
    for _ in range(100):
        logic.step(400, STEP_MIN)
    assert logic.level is AlarmLevel.ALARM
    logic.step(10, STEP_MIN)
    assert logic.level is AlarmLevel.NONE


def test_smoldering_stove_raises_co_over_tens_of_minutes() -> None:
    room = Room(volume_m3=40, air_changes_per_h=0.5, base_ppm=2, co_ppm=2)
    room.start_smolder(600, ramp_min=20)
    trace = {}
    for minute in range(1, 121):
        room.step(1.0)
        trace[minute] = room.co_ppm
    assert trace[5] < 30  # no step change: CO builds up
    assert 50 < trace[30] < trace[60] < trace[120] < 600
    room.stop_smolder()
    for _ in range(480):  # 8 h at 0.5 air changes per hour: 4 time constants
        room.step(1.0)
    assert room.co_ppm < 20  # ventilation clears it again


def test_shipped_scenarios_load() -> None:
    names = list_scenarios()
    assert {"quiet-night", "poisoning", "village-power-loss", "broker-restart"} <= set(names)
    for n in names:
        assert load_scenario(n).name == n


def test_bad_scenario_names_file_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(
        'name = "bad"\ntitle = "x"\nduration_min = 10\n\n'
        '[[incident]]\nkind = "meteor"\nat_min = 1\ndevice = 0\n'
    )
    with pytest.raises(DataFileError) as exc:
        load_scenario(str(p))
    assert exc.value.line == 6 and exc.value.field == "incident.0.kind"
