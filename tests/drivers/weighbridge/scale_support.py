"""A simulated indicator on a real pty and the driver reading it, for the weighbridge tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from coalguard.drivers.weighbridge import ScaleReader, ScaleState, StabilityRule, resolve_format
from coalguard.simulators.weighbridge import WeighbridgeSim
from tests.support.waiting import wait_for

# Fast enough for tests, slow enough to be a real stream: 25 frames a second, a truck
# on in 0.5 s, swinging 0.5 s; software stability ± 20 kg held 1 s.
FAST_RULE = StabilityRule(tolerance_kg=20, window_s=1.0, min_readings=5)


@dataclass
class Line:
    sim: WeighbridgeSim
    reader: ScaleReader
    seen: list[ScaleState] = field(default_factory=list)

    def pump_until(
        self, cond: Callable[[ScaleState], bool], timeout: float, what: str
    ) -> ScaleState:
        """Read the port, keeping every state seen, until ``cond`` holds."""

        def step() -> ScaleState | None:
            self.reader.poll()
            st = self.reader.state()
            self.seen.append(st)
            return st if cond(st) else None

        return wait_for(step, timeout, what, interval=0)


@contextmanager
def scale_line(fmt_id: str, **sim_args: object) -> Iterator[Line]:
    fmt = resolve_format(fmt_id)
    sim = WeighbridgeSim(fmt, hz=25, ramp_s=0.5, settle_s=0.5, seed=7, **sim_args)  # type: ignore[arg-type]
    reader = ScaleReader(
        sim.path, fmt, unit=sim.unit, rule=FAST_RULE, silent_after_s=0.5, read_timeout=0.02
    )
    sim.start()
    try:
        yield Line(sim, reader)
    finally:
        reader.close()
        sim.stop()
