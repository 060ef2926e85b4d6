"""Coal standards as data, basis conversion, and the verdict engine.

``judge(sample, profile) -> Verdict`` is the entry point; profiles come from
``ProfileSet.load()`` (shipped TOML files plus an administrator's directory).
"""

from coalguard.edge.quality.basis import Converter
from coalguard.edge.quality.indicators import KNOWN as KNOWN_INDICATORS
from coalguard.edge.quality.judge import judge
from coalguard.edge.quality.profiles import (
    COAL_TYPES,
    BadProfileSet,
    Jurisdiction,
    Limit,
    Profile,
    ProfileSet,
    UnknownProfile,
)
from coalguard.edge.quality.verdict import IndicatorVerdict, Overall, Status, Verdict

__all__ = [
    "COAL_TYPES",
    "KNOWN_INDICATORS",
    "BadProfileSet",
    "Converter",
    "IndicatorVerdict",
    "Jurisdiction",
    "Limit",
    "Overall",
    "Profile",
    "ProfileSet",
    "Status",
    "UnknownProfile",
    "Verdict",
    "judge",
]
