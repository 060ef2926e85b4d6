"""Append-only rows inserted in bulk, bound as driver tuples.

SQLAlchemy builds each row's parameters of an ``executemany`` through its
compiled statement (``construct_params``): at catch-up that cost about a
seventh of the projector's time, more than SQLite's own insert. The
statement here is built once per table and column list; each row becomes a
tuple through the columns' own bind processors (the same conversion
SQLAlchemy applies: aware datetimes to UTC, JSON to text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert

_PARAM = {"sqlite": "?", "postgresql": "%s"}

Processor = Callable[[Any], Any] | None
_Plan = tuple[str, list[Processor]]


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``conn.execute(insert(table), rows)``, cheaper. Rows of one table share their keys;
    columns left out must have no Python-side default (else SQLAlchemy inserts them)."""
    if not rows:
        return
    keys = tuple(rows[0])
    plan = _plan(conn.dialect, table, keys)
    if plan is None or any(tuple(r) != keys for r in rows):
        conn.execute(insert(table), list(rows))
        return
    sql, procs = plan
    pairs = tuple(zip(keys, procs, strict=True))
    params = [tuple(r[k] if p is None else p(r[k]) for k, p in pairs) for r in rows]
    conn.exec_driver_sql(sql, params)


@cache
def _plan(
    dialect: Dialect, table: Table, keys: tuple[str, ...]
) -> tuple[str, list[Processor]] | None:
    """The INSERT text and each key's bind processor; None where SQLAlchemy must do it."""
    mark = _PARAM.get(dialect.name)
    if mark is None or any(k not in table.c for k in keys):
        return None
    for col in table.c:
        if col.key not in keys and (col.default is not None or col.onupdate is not None):
            return None  # a Python-side default: SQLAlchemy computes it
    quote = dialect.identifier_preparer.quote
    cols = ", ".join(quote(table.c[k].name) for k in keys)
    marks = ", ".join([mark] * len(keys))
    sql = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({cols}) VALUES ({marks})"
    return sql, [table.c[k].type._cached_bind_processor(dialect) for k in keys]
