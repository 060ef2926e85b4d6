"""Region scoping shared by the operators' routes: the one check of a region a caller names.

A region is a prefix of the 12-digit administrative code (``13`` Hebei,
``130102`` a county); ``""`` is the whole country. Only ASCII digits count:
``str.isdigit`` also accepts ``²`` and Arabic-Indic digits, which name no region.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coalguard.cloud.api.problems import Problem

if TYPE_CHECKING:  # auth checks region prefixes with ``is_region_code``
    from coalguard.cloud.auth import Operator

_REGION = re.compile(r"[0-9]{0,12}")
# Region levels by code length: county (GB/T 2260), township and village (statistical codes).
LEVEL_DIGITS = {"county": 6, "township": 9, "village": 12}


def is_region_code(text: str) -> bool:
    """Up to 12 ASCII digits (empty: the whole country)."""
    return _REGION.fullmatch(text) is not None


def region_level(code: str) -> str | None:
    """``county`` / ``township`` / ``village`` by the code's length (None: another level)."""
    if not is_region_code(code):
        return None
    return next((lvl for lvl, n in LEVEL_DIGITS.items() if len(code) == n), None)


def ancestor(code: str, level: str) -> str:
    """The code of ``code``'s region at ``level`` (its prefix): village -> its township."""
    return code[: LEVEL_DIGITS[level]]


def scoped_region(op: Operator, region: str | None) -> str:
    """``region`` (default: the caller's prefix); 422 if not a region, 403 outside the caller's."""
    region = region or op.region_prefix
    if not is_region_code(region):
        raise Problem(422, "region_digits")
    if not op.covers(region):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")
    return region


def aware(dt: datetime | None) -> datetime | None:
    """Query times without a zone are taken as UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
