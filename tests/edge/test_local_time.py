"""Times people read are Asia/Shanghai wall time, whatever form the stored time has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from coalguard.edge.clock import local_text

FULL = "%Y-%m-%d %H:%M:%S"


def test_local_text_shows_beijing_time_for_every_stored_form() -> None:
    at = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # past midnight in Beijing
    assert local_text(at, FULL) == "2026-11-24 00:30:00"
    assert local_text("2026-11-23T16:30:00+00:00", FULL) == "2026-11-24 00:30:00"
    assert local_text(datetime(2026, 11, 23, 16, 30), FULL) == "2026-11-24 00:30:00"  # naive: UTC
    assert local_text(at.astimezone(timezone(timedelta(hours=-5))), "%H:%M") == "00:30"
    assert local_text(None) == "—"
