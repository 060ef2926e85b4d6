"""Indoor CO of one household: a well-mixed room with a coal stove.

dC/dt = G(t) / V - λ·C, with C in ppm, V the room volume (m³), λ the air
changes per hour and G the stove's CO generation (ppm·m³/h). A smoldering
stove at night (damper shut, coal banked) ramps G up over tens of minutes,
so CO climbs towards G/(V·λ) with time constant 1/λ (hours in a sealed
winter room): the slow poisoning the alarm exists for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Room:
    volume_m3: float
    air_changes_per_h: float
    base_ppm: float = 1.0  # steady CO of a stove that burns well
    co_ppm: float = 0.0
    smolder_ppm: float = 0.0  # steady-state target of a smoldering stove (0: none)
    smolder_ramp_min: float = 20.0  # the stove needs this long to fully smolder
    smolder_for_min: float = 0.0

    def start_smolder(self, steady_ppm: float, ramp_min: float = 20.0) -> None:
        self.smolder_ppm = steady_ppm
        self.smolder_ramp_min = ramp_min
        self.smolder_for_min = 0.0

    def stop_smolder(self) -> None:
        self.smolder_ppm = 0.0

    def generation(self) -> float:
        """G in ppm·m³/h for the current stove condition."""
        target = self.base_ppm
        if self.smolder_ppm > 0:
            ramp = min(1.0, self.smolder_for_min / self.smolder_ramp_min)
            target = max(target, self.smolder_ppm * ramp)
        return target * self.volume_m3 * self.air_changes_per_h

    def step(self, dt_min: float) -> float:
        """Advance ``dt_min`` minutes (exact solution for constant G over the step)."""
        if self.smolder_ppm > 0:
            self.smolder_for_min += dt_min
        lam = self.air_changes_per_h / 60.0  # per minute
        steady = self.generation() / (self.volume_m3 * self.air_changes_per_h)
        self.co_ppm = steady + (self.co_ppm - steady) * math.exp(-lam * dt_min)
        return self.co_ppm
