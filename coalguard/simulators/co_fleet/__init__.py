"""Simulated household CO alarm fleet speaking the MQTT v1 contract."""

from coalguard.simulators.co_fleet.fleet import Fleet, FleetStats, device_password
from coalguard.simulators.co_fleet.scenario import Scenario, list_scenarios, load_scenario
from coalguard.simulators.co_fleet.timing import AlarmLogic, Timing, load_timing

__all__ = [
    "AlarmLogic",
    "Fleet",
    "FleetStats",
    "Scenario",
    "Timing",
    "device_password",
    "list_scenarios",
    "load_scenario",
    "load_timing",
]
