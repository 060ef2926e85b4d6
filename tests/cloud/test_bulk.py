"""``bulk.insert_rows`` stores exactly what SQLAlchemy's ``insert`` stores, on both backends:
aware times in UTC, JSON (None, nested, Chinese), NULLs; a column with a Python-side
default left out goes through SQLAlchemy, which fills it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, select

from coalguard.cloud.bulk import insert_rows
from coalguard.cloud.checks.tables import Transition
from coalguard.cloud.db import create_schema, make_engine

SHANGHAI = timezone(timedelta(hours=8))


def _rows(prefix: str) -> list[dict[str, object]]:
    at = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    data = [None, {"值": "冀C12345", "n": [1, 2.5, None], "deep": {"x": True}}, {}]
    return [
        {
            "id": f"{prefix}-{k}",
            "inspection_id": "i-1",
            "seq": k,
            "action": "judge",
            "from_state": None if k == 0 else "sampled",
            "to_state": "judged",
            "at": at + timedelta(minutes=k),
            "operator": "值班员",
            "reason": "",
            "data": data[k],
        }
        for k in range(3)
    ]


def _stored(conn, prefix: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    t = Transition.__table__
    got = conn.execute(select(t).where(t.c.id.like(f"{prefix}-%")).order_by(t.c.seq)).all()
    return [tuple(row)[1:] for row in got]  # all but the id


def test_bulk_rows_are_stored_as_sqlalchemy_stores_them(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine, for_tests_or_demo=True)
    with engine.begin() as conn:
        insert_rows(conn, Transition.__table__, _rows("fast"))
        conn.execute(insert(Transition.__table__), _rows("orm"))
        fast, orm = _stored(conn, "fast"), _stored(conn, "orm")
    assert fast == orm and len(fast) == 3
    assert fast[0][5] == datetime(2026, 11, 27, 1, 30, 15, 123456, tzinfo=UTC)


def test_a_left_out_column_with_a_default_is_filled_as_sqlalchemy_fills_it(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine, for_tests_or_demo=True)
    rows = [{k: v for k, v in r.items() if k not in ("reason", "data")} for r in _rows("d")]
    with engine.begin() as conn:
        insert_rows(conn, Transition.__table__, rows)
        stored = _stored(conn, "d")
    assert [(r[7], r[8]) for r in stored] == [("", {})] * 3
