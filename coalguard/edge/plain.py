"""Objects to plain dicts for JSON bodies, one field list instead of a hand-written copy.

Views of ORM rows (cloud) and of dataclasses (gateway, outbox) name the
fields they expose once; times named in ``iso`` become ISO text.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import fields
from datetime import datetime
from typing import Any


def iso_or_none(dt: datetime | None) -> str | None:
    """``dt`` as ISO 8601 text; ``None`` stays ``None``."""
    return dt.isoformat() if dt else None


def plain(obj: object, names: Iterable[str], *, iso: Collection[str] = ()) -> dict[str, Any]:
    """``obj``'s attributes ``names``, in that order; those in ``iso`` as ISO text."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = iso_or_none(value) if name in iso else value
    return out


def field_names(cls: Any, *, skip: Collection[str] = ()) -> tuple[str, ...]:
    """A dataclass's field names, in declaration order, less ``skip``."""
    return tuple(f.name for f in fields(cls) if f.name not in skip)
