"""The weighbridge driver against the simulated indicator on a real pseudo-terminal, per format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coalguard.drivers.weighbridge import shipped_formats
from tests.drivers.weighbridge.scale_support import scale_line

FORMATS = shipped_formats()


def test_every_shipped_format_is_tested() -> None:
    assert FORMATS == ["st-gs", "xk3190-eq", "xk3190-stx"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_truck_drives_on_settles_and_off(fmt: str) -> None:
    with scale_line(fmt) as line:
        line.pump_until(lambda s: s.link == "ok" and s.stable_kg == 0, 10, "empty scale stable")
        line.sim.drive_on(32040)
        st = line.pump_until(lambda s: s.stable_kg == Decimal(32040), 10, "truck stable")
        assert st.last is not None and st.last.kg == Decimal(32040)
        moving = [s for s in line.seen if s.last and 0 < (s.last.kg or 0) < 32040]
        assert moving, "the ramp was read"
        assert not any(s.stable for s in moving), "a weight on its way up is never stable"
        line.sim.drive_off()
        line.pump_until(lambda s: s.stable_kg == 0, 10, "empty again")
        assert st.bad_frames == 0 and line.reader.dead_letters == type(line.reader.dead_letters)()


@pytest.mark.parametrize("fmt", FORMATS)
def test_unstable_platform_never_gives_a_stable_weight(fmt: str) -> None:
    with scale_line(fmt) as line:
        line.sim.set_faults({"unstable"})
        line.sim.drive_on(25000)
        line.pump_until(lambda s: s.frames >= 100, 15, "four seconds of a swinging platform")
        loaded = [s for s in line.seen if s.last and (s.last.kg or 0) > 20000]
        assert loaded and not any(s.stable or s.stable_kg is not None for s in loaded)


@pytest.mark.parametrize("fmt", FORMATS)
def test_noise_is_counted_and_dead_lettered_and_the_reader_goes_on(fmt: str) -> None:
    with scale_line(fmt) as line:
        line.sim.set_faults({"noise"})
        line.sim.drive_on(18000)
        line.pump_until(lambda s: s.bad_frames >= 5 and s.stable_kg == 18000, 15, "stable in noise")
        letters = list(line.reader.dead_letters)
        kinds = {d["kind"] for d in letters}
        assert letters and kinds <= {"garbage", "malformed", "short_frame", "decode"}
        assert all(d["format"] == fmt and d["raw"] for d in letters)
        assert sum(line.reader.stats.errors.values()) == line.reader.bad_frames


@pytest.mark.parametrize("fmt", FORMATS)
def test_silent_scale_is_reported_then_recovers(fmt: str) -> None:
    with scale_line(fmt) as line:
        line.pump_until(lambda s: s.link == "ok", 10, "frames")
        line.sim.set_faults({"silent"})
        st = line.pump_until(lambda s: s.link == "silent", 10, "silence reported")
        assert st.stable_kg is None, "a silent scale gives no weight"
        line.sim.set_faults(set())
        line.pump_until(lambda s: s.link == "ok", 10, "frames again")


@pytest.mark.parametrize("fmt", FORMATS)
def test_port_that_goes_away_is_reported_disconnected(fmt: str) -> None:
    with scale_line(fmt) as line:
        line.pump_until(lambda s: s.stable_kg == 0, 10, "stable empty scale")
        line.sim.set_faults({"close"})
        st = line.pump_until(lambda s: s.link == "disconnected", 10, "disconnect reported")
        assert st.stable_kg is None and st.errors.get("connection", 0) >= 1
