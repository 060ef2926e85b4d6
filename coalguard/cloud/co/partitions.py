"""PostgreSQL: ``co_message`` in partitions, so old heartbeats leave by the day.

At province scale a day is ~144 million heartbeats; deleting them row by row
takes hours and bloats the table. On PostgreSQL the table is partitioned:

    co_message                     LIST (kind)
    ├─ co_message_event            DEFAULT: events (and any other kind), kept for ever
    └─ co_message_state            'state' (heartbeats), RANGE (ts), one UTC day each
       ├─ co_message_state_pYYYYMMDD
       └─ co_message_state_default  days without a partition (far past, far future)

Heartbeats are partitioned by the alarm's own ``ts`` (what the hourly summary
groups by), so a day partition holds exactly 24 hours of summaries-to-be.

Duplicates: PostgreSQL only enforces a unique index within a partition unless
it includes the partition key, so every leaf has its own unique
``(device_id, seq)`` and ingest (``store.py``) looks up the (device, seq) pairs
it may have seen before across all partitions, under the device row lock it
already holds; see ``store.MessageStore._stored_before``.

Retention of one old day is two transactions, each crash-safe:
``detach`` (late heartbeats of that day then land in the default partition),
then ``fold_and_drop`` (summarise into ``co_message_hourly`` and DROP, committed
together). A job killed between them finds the detached table by name and
finishes it. SQLite keeps one table and the batched job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, text

PARENT = "co_message"
EVENTS = "co_message_event"
STATE = "co_message_state"
DEFAULT = "co_message_state_default"
_PREFIX = "co_message_state_p"
_DAY_NAME = re.compile(r"^co_message_state_p(\d{8})$")
# DDL waits at most this long for ingest's locks, then gives up until the next run.
LOCK_TIMEOUT = "5s"
FOLD_WORK_MEM = "256MB"


def day_table(day: date) -> str:
    return f"{_PREFIX}{day:%Y%m%d}"


def _bound(day: date) -> str:
    return datetime.combine(day, time(), UTC).isoformat()


def is_partitioned(conn: Connection) -> bool:
    """True on PostgreSQL once ``co_message`` is partitioned (revision 0021, ``create_schema``)."""
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t)"),
        {"t": PARENT},
    )
    return found.first() is not None


def _days(conn: Connection, attached: bool) -> list[date]:
    rows = conn.execute(
        text(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE :p "
            "AND relispartition = :a AND relnamespace = current_schema()::regnamespace"
        ),
        {"p": _PREFIX + "%", "a": attached},
    )
    days = []
    for (name,) in rows:
        m = _DAY_NAME.match(name)
        if m:
            days.append(datetime.strptime(m.group(1), "%Y%m%d").date())
    return sorted(days)


def attached_days(conn: Connection) -> list[date]:
    return _days(conn, attached=True)


def detached_days(conn: Connection) -> list[date]:
    """Days detached by a retention run that did not get to fold and drop them."""
    return _days(conn, attached=False)


def _unique(conn: Connection, table: str) -> None:
    conn.execute(
        text(f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_device_seq ON {table} (device_id, seq)")
    )


def create_day(conn: Connection, day: date) -> None:
    """Attach ``day``'s partition; heartbeats of that day already in the default
    partition move into it (so ATTACH never finds them in the way)."""
    name, lo, hi = day_table(day), _bound(day), _bound(day + timedelta(days=1))
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    conn.execute(text(f"CREATE TABLE {name} (LIKE {STATE} INCLUDING DEFAULTS)"))
    in_day = f"ts >= '{lo}' AND ts < '{hi}'"
    conn.execute(text(f"INSERT INTO {name} SELECT * FROM {DEFAULT} WHERE {in_day}"))
    conn.execute(text(f"DELETE FROM {DEFAULT} WHERE {in_day}"))
    # The check lets ATTACH skip scanning the new table; the default is scanned (small).
    conn.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_day CHECK ({in_day})"))
    _unique(conn, name)
    conn.execute(
        text(f"ALTER TABLE {STATE} ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')")
    )


def detach(conn: Connection, day: date) -> None:
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    conn.execute(text(f"ALTER TABLE {STATE} DETACH PARTITION {day_table(day)}"))


# One pass over a table of heartbeats, merged into co_message_hourly exactly as
# ``retention._fold`` merges row by row: min/max of CO, the last non-null CO and
# battery by (ts, id), replacing a summary's only when at or after its last_ts.
_FOLD = """
WITH doc AS MATERIALIZED (  -- each payload parsed once
  SELECT device_id, ts, id, payload::jsonb AS j FROM {table}
), src AS (
  SELECT device_id, ts, id,
    date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
    CASE WHEN jsonb_typeof(j -> 'co_ppm') = 'number' THEN (j ->> 'co_ppm')::float8 END AS co,
    CASE WHEN jsonb_typeof(j -> 'battery_pct') = 'number'
         THEN (j ->> 'battery_pct')::float8 END AS battery
  FROM doc
), last AS (  -- windows, not ordered aggregates: one sort each, not one per hour
  SELECT device_id, hour, ts, co, battery,
    first_value(co) OVER by_co AS co_last,
    first_value(CASE WHEN co IS NOT NULL THEN ts END) OVER by_co AS co_at,
    first_value(battery) OVER by_battery AS battery_last,
    first_value(CASE WHEN battery IS NOT NULL THEN ts END) OVER by_battery AS battery_at
  FROM src
  WINDOW by_co AS (PARTITION BY device_id, hour ORDER BY co IS NULL, ts DESC, id DESC),
    by_battery AS (PARTITION BY device_id, hour ORDER BY battery IS NULL, ts DESC, id DESC)
), agg AS (
  SELECT device_id, hour, min(co) AS co_min, max(co) AS co_max,
    max(co_last) AS co_last, max(co_at) AS co_at,
    max(battery_last) AS battery_last, max(battery_at) AS battery_at,
    max(ts) AS last_ts, count(*) AS n
  FROM last GROUP BY device_id, hour
), upd AS (
  UPDATE co_message_hourly h SET
    co_min = least(h.co_min, a.co_min),
    co_max = greatest(h.co_max, a.co_max),
    co_last = CASE WHEN a.co_at >= h.last_ts THEN a.co_last ELSE h.co_last END,
    battery_last = CASE WHEN a.battery_at >= h.last_ts THEN a.battery_last
                        ELSE h.battery_last END,
    last_ts = greatest(h.last_ts, a.last_ts),
    count = h.count + a.n
  FROM agg a WHERE h.device_id = a.device_id AND h.hour = a.hour
  RETURNING h.device_id, h.hour
), ins AS (
  INSERT INTO co_message_hourly
    (device_id, hour, co_min, co_max, co_last, battery_last, last_ts, count)
  SELECT a.device_id, a.hour, a.co_min, a.co_max, a.co_last, a.battery_last, a.last_ts, a.n
  FROM agg a
  WHERE NOT EXISTS (SELECT 1 FROM upd u WHERE u.device_id = a.device_id AND u.hour = a.hour)
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins) + (SELECT count(*) FROM upd),
       (SELECT coalesce(sum(n), 0) FROM agg)
"""


def fold_and_drop(conn: Connection, day: date) -> tuple[int, int]:
    """Summarise a detached day into hourly rows and drop it (one transaction:
    the caller's). Returns (hourly rows written, heartbeats folded)."""
    name = day_table(day)
    conn.execute(text(f"SET LOCAL work_mem = '{FOLD_WORK_MEM}'"))  # the day's sorts in memory
    hours, rows = conn.execute(text(_FOLD.format(table=name))).one()
    conn.execute(text(f"DROP TABLE {name}"))
    return int(hours), int(rows)


def partition_messages(conn: Connection) -> None:
    """Turn the plain ``co_message`` into the partitioned one, every row kept (ids too).

    A day partition for each day with heartbeats in the last 400 days, and
    today − 1 … today + 3 (the database's UTC date: schema changes run without
    the process's clock); heartbeats dated anywhere else go to the default partition.
    """
    today = conn.execute(text("SELECT (now() AT TIME ZONE 'UTC')::date")).scalar_one()
    conn.execute(text("ALTER TABLE co_message RENAME TO co_message_flat"))
    conn.execute(
        text(
            "ALTER TABLE co_message_flat RENAME CONSTRAINT co_message_pkey TO co_message_flat_pkey"
        )
    )
    conn.execute(text("ALTER TABLE co_message_flat DROP CONSTRAINT uq_co_message_device_seq"))
    conn.execute(text("DROP INDEX IF EXISTS ix_co_message_kind_ts"))
    conn.execute(
        text(
            f"CREATE TABLE {PARENT} (LIKE co_message_flat INCLUDING DEFAULTS) "
            "PARTITION BY LIST (kind)"
        )
    )
    # 144 million heartbeats a day would exhaust a 32-bit id within weeks.
    conn.execute(text(f"ALTER TABLE {PARENT} ALTER COLUMN id TYPE bigint"))
    conn.execute(text("ALTER SEQUENCE co_message_id_seq AS bigint OWNED BY co_message.id"))
    # A primary or unique key of a partitioned table must hold its partition keys.
    conn.execute(
        text(f"ALTER TABLE {PARENT} ADD CONSTRAINT co_message_pkey PRIMARY KEY (id, kind, ts)")
    )
    conn.execute(text(f"CREATE INDEX ix_co_message_kind_ts ON {PARENT} (kind, ts)"))
    conn.execute(text(f"CREATE TABLE {EVENTS} PARTITION OF {PARENT} DEFAULT"))
    _unique(conn, EVENTS)
    conn.execute(
        text(
            f"CREATE TABLE {STATE} PARTITION OF {PARENT} FOR VALUES IN ('state') "
            "PARTITION BY RANGE (ts)"
        )
    )
    conn.execute(text(f"CREATE TABLE {DEFAULT} PARTITION OF {STATE} DEFAULT"))
    _unique(conn, DEFAULT)
    found = conn.execute(
        text(
            "SELECT DISTINCT (date_trunc('day', ts AT TIME ZONE 'UTC'))::date FROM co_message_flat "
            "WHERE kind = 'state' AND ts >= :lo AND ts < :hi"
        ),
        {"lo": _bound(today - timedelta(days=400)), "hi": _bound(today + timedelta(days=4))},
    ).scalars()
    for day in sorted(set(found) | {today + timedelta(days=k) for k in range(-1, 4)}):
        create_day(conn, day)
    conn.execute(text(f"INSERT INTO {PARENT} SELECT * FROM co_message_flat"))
    conn.execute(text("DROP TABLE co_message_flat"))


def flatten_messages(conn: Connection) -> None:
    """Back to one plain table (downgrade), with days detached but not yet folded."""
    conn.execute(text(f"ALTER TABLE {PARENT} RENAME TO co_message_parts"))
    conn.execute(
        text(
            "ALTER TABLE co_message_parts "
            "RENAME CONSTRAINT co_message_pkey TO co_message_parts_pkey"
        )
    )
    conn.execute(text("ALTER INDEX ix_co_message_kind_ts RENAME TO ix_co_message_parts_kind_ts"))
    conn.execute(text(f"CREATE TABLE {PARENT} (LIKE co_message_parts INCLUDING DEFAULTS)"))
    conn.execute(text(f"ALTER TABLE {PARENT} ALTER COLUMN id TYPE integer"))
    conn.execute(text("ALTER SEQUENCE co_message_id_seq AS integer OWNED BY co_message.id"))
    conn.execute(text(f"ALTER TABLE {PARENT} ADD CONSTRAINT co_message_pkey PRIMARY KEY (id)"))
    conn.execute(
        text(
            f"ALTER TABLE {PARENT} ADD CONSTRAINT uq_co_message_device_seq UNIQUE (device_id, seq)"
        )
    )
    conn.execute(text(f"CREATE INDEX ix_co_message_kind_ts ON {PARENT} (kind, ts)"))
    conn.execute(text(f"INSERT INTO {PARENT} SELECT * FROM co_message_parts"))
    for day in detached_days(conn):
        conn.execute(text(f"INSERT INTO {PARENT} SELECT * FROM {day_table(day)}"))
        conn.execute(text(f"DROP TABLE {day_table(day)}"))
    conn.execute(text("DROP TABLE co_message_parts CASCADE"))


def compare_filter(conn: Connection) -> Callable[..., bool]:
    """Alembic ``include_object`` for schema comparison: on a partitioned database
    the partitions are not model tables, and the unique (device_id, seq) is one
    per partition rather than the model's one on ``co_message``."""
    split = is_partitioned(conn)

    def include(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        if not split:
            return True
        if type_ == "table" and reflected and other is None:
            return not (name in (EVENTS, STATE, DEFAULT) or _DAY_NAME.match(name or ""))
        return not (type_ == "unique_constraint" and name == "uq_co_message_device_seq")

    return include
