"""The uplink's wire text is made from stored columns, without datetimes or parsing:
it must be exactly the text ``OutboxRecord.to_wire_json()`` makes."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from coalguard.edge.outbox.micros import from_us, iso_utc, to_us
from coalguard.edge.outbox.record import Pending

_FIRST = to_us(datetime(1, 1, 1, tzinfo=UTC))
_LAST = to_us(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))


@given(st.integers(_FIRST, _LAST))
def test_iso_utc_is_isoformat(us: int) -> None:
    assert iso_utc(us) == from_us(us).isoformat()


def test_iso_utc_at_the_edges() -> None:
    for us in (0, -1, 1, 999_999, 1_000_000, -1_000_000, _FIRST, _LAST):
        assert iso_utc(us) == from_us(us).isoformat()


def test_pending_wire_text_is_the_record_wire_text() -> None:
    born = to_us(datetime(2026, 11, 27, 2, 0, 0, 120, tzinfo=UTC))
    rid = "0190a3b2-0000-7000-8000-000000000001"
    p = Pending(7, rid, "ledger.entry", "telemetry", born, '{"a":"值"}'.encode(), 120)
    assert p.wire_bytes() == p.record().to_wire_json().encode()
    assert p.record().body == {"a": "值"}
