"""How the gateway stores times; the clock itself is ``coalguard.edge.clock``.

Stored times are UTC ISO 8601 strings of one fixed width (so SQLite compares
them as text); people see Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, datetime

from coalguard.edge.clock import LOCAL_TZ


def iso(dt: datetime) -> str:
    """Fixed-width UTC text for storage: ``2026-11-23T08:00:00.000000+00:00``."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: every stored time needs a zone")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local_day_start(now: datetime) -> datetime:
    """Midnight of ``now``'s local (Asia/Shanghai) day, in UTC."""
    local = now.astimezone(LOCAL_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
