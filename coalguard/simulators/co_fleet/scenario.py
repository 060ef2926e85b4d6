"""Fleet scenarios as data files (``scenarios/*.toml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coalguard.datafile import Integer, Number, load_model
from coalguard.errors import InputError

SCENARIOS = Path(__file__).with_name("scenarios")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FleetSpec(_Strict):
    count: Integer = Field(100, ge=1, le=100_000)
    id_prefix: str = Field("COA", pattern=r"^[A-Za-z0-9_]{1,20}$")
    township_code: str = Field("130102001", pattern=r"^[0-9]{9}$")
    villages: Integer = Field(10, ge=1, le=999)
    low_battery_fraction: Number = Field(0.0, ge=0, le=1)
    eol_fraction: Number = Field(0.0, ge=0, le=1)
    seed: Integer = 1


class Incident(_Strict):
    """Something that happens at ``at_min`` simulated minutes into the run."""

    kind: Literal[
        "smolder",
        "clear_air",
        "power_loss",
        "power_back",
        "hang",
        "tamper",
        "fault",
        "broker_restart",
        "test_button",
    ]
    at_min: Number = Field(ge=0)
    device: Integer | None = Field(None, ge=0, description="device index in the fleet")
    village: Integer | None = Field(None, ge=1, description="village number (1-based)")
    ppm: Number = Field(600, gt=0, description="smolder: steady-state CO it tends to")
    ramp_min: Number = Field(20, gt=0)
    fault: str = "sensor"

    @model_validator(mode="after")
    def _target(self) -> Incident:
        needs_target = self.kind not in ("broker_restart",)
        if needs_target and self.device is None and self.village is None:
            raise ValueError(f"incident {self.kind} needs a device index or a village")
        return self


class Scenario(_Strict):
    version: Integer = 1
    name: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    title: str
    duration_min: Number = Field(gt=0)
    time_scale: Number = Field(60, gt=0, description="simulated seconds per real second")
    heartbeat_s: Number = Field(300, gt=0, description="simulated seconds between states")
    tick_s: Number = Field(0.25, gt=0, le=5, description="real seconds between simulation steps")
    fleet: FleetSpec = FleetSpec()
    incident: list[Incident] = []


def list_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIOS.glob("*.toml"))


def load_scenario(name_or_path: str) -> Scenario:
    """A shipped scenario by name, or a TOML file by path."""
    p = Path(name_or_path)
    if not p.suffix:
        p = SCENARIOS / f"{name_or_path}.toml"
    if not p.exists():
        raise InputError(
            f"no scenario {name_or_path!r}; shipped: {', '.join(list_scenarios())} "
            "(or give a path to a .toml file)"
        )
    return load_model(p, Scenario)
