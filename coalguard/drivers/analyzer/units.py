"""Convert a device's units to the quality engine's canonical ones (percent; MJ/kg)."""

from __future__ import annotations

PERCENT_UNITS = {"%": 1.0, "permille": 0.1, "ppm": 1e-4}
# Factor to MJ/kg. 1 Btu/lb = 2.326 J/g (exact, IT calorie); 1 kcal/kg = 4.1868 J/g.
ENERGY_UNITS = {
    "MJ/kg": 1.0,
    "J/g": 1e-3,
    "kJ/kg": 1e-3,
    "kcal/kg": 4.1868e-3,
    "cal/g": 4.1868e-3,
    "Btu/lb": 2.326e-3,
}
UNITS = {**PERCENT_UNITS, **ENERGY_UNITS}


def is_energy(unit: str) -> bool:
    return unit in ENERGY_UNITS


def to_canonical(value: float, unit: str) -> float:
    """``value`` in ``unit`` expressed in percent or MJ/kg."""
    try:
        return value * UNITS[unit]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r} (known: {', '.join(UNITS)})") from None


def from_canonical(value: float, unit: str) -> float:
    """Inverse of :func:`to_canonical` (simulators write device units)."""
    return value / UNITS[unit]
