"""Rapid coal analyzer drivers: Modbus RTU/TCP register maps and an ASCII line protocol.

Every driver yields :class:`AnalyzerResult`, which ``edge.quality.judge`` accepts.
"""

from coalguard.drivers.analyzer.ascii import AsciiAnalyzer
from coalguard.drivers.analyzer.bus import BusPool, Endpoint, ModbusBus, ReadError
from coalguard.drivers.analyzer.modbus import ModbusAnalyzer, Poller
from coalguard.drivers.analyzer.regmap import RegisterMap, load_map, resolve_map, shipped_maps
from coalguard.drivers.analyzer.result import AnalyzerResult, DeviceIdentity
from coalguard.drivers.analyzer.stats import DeviceStats

__all__ = [
    "AnalyzerResult",
    "AsciiAnalyzer",
    "BusPool",
    "DeviceIdentity",
    "DeviceStats",
    "Endpoint",
    "ModbusAnalyzer",
    "ModbusBus",
    "Poller",
    "ReadError",
    "RegisterMap",
    "load_map",
    "resolve_map",
    "shipped_maps",
]
