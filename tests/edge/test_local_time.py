"""Times people read are Asia/Shanghai wall time, whatever form the stored time has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from coalguard.edge.clock import LOCAL_ZONE, format_local, to_local


def test_format_local_shows_beijing_time_for_every_stored_form() -> None:
    at = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # past midnight in Beijing
    assert format_local(at) == "2026-11-24 00:30:00"
    assert format_local("2026-11-23T16:30:00+00:00") == "2026-11-24 00:30:00"
    assert format_local(datetime(2026, 11, 23, 16, 30)) == "2026-11-24 00:30:00"  # naive: UTC
    other = at.astimezone(timezone(timedelta(hours=-5)))
    assert format_local(other, "%H:%M") == "00:30"
    assert to_local(at).utcoffset() == timedelta(hours=8) and to_local(at).tzinfo == LOCAL_ZONE
