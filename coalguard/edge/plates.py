"""Licence plates in one form, for the gateway that reads them and the cloud that lists them.

The fast-pass list the cloud serves is looked up by the gateway with the plate
its camera or desk read, so both sides must write a plate the same way.
"""

from __future__ import annotations

import re

_DROP = re.compile(r"[\s·•\-_.]")


def normalize_plate(text: str) -> str:
    """``冀a·12345`` and ``冀A 12345`` are the same truck: ``冀A12345``."""
    return _DROP.sub("", text).upper()


def plates_match(read: str, plate: str) -> bool:
    """Same plate, or a read one character off (a typical ANPR misread: 8/B, 0/D)."""
    a, b = normalize_plate(read), normalize_plate(plate)
    if a == b:
        return True
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1
