"""Truck-scale (weighbridge) indicators: continuous output on RS-232, frame formats as data.

``ScaleReader`` reads a port, ``ScaleState`` says what it shows and whether it is
stable; the formats (``formats/*.toml``) and the software stability rule
(``stability.toml``) are data files.
"""

from coalguard.drivers.weighbridge.frameformat import (
    FrameFormat,
    resolve_format,
    shipped_formats,
)
from coalguard.drivers.weighbridge.frames import Framer, Reading, Reject, parse_frame, xor_hex
from coalguard.drivers.weighbridge.reader import ScaleReader, ScaleState
from coalguard.drivers.weighbridge.stability import Stability, StabilityRule, load_rule

__all__ = [
    "FrameFormat",
    "Framer",
    "Reading",
    "Reject",
    "ScaleReader",
    "ScaleState",
    "Stability",
    "StabilityRule",
    "load_rule",
    "parse_frame",
    "resolve_format",
    "shipped_formats",
    "xor_hex",
]
