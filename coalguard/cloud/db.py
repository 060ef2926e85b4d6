"""Cloud persistence: one SQLAlchemy 2 engine and declarative Base.

SQLite by default (WAL, foreign keys on), PostgreSQL in production. Every
table module imports ``Base`` from here so Alembic (and ``create_all`` for
the demo and tests) sees the whole schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from coalguard import json_text
from coalguard.errors import Unreachable, first_line


class Base(DeclarativeBase):
    """Declarative base of every cloud table."""


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    """Engine for ``url``; creates the SQLite file's directory when needed."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url.removeprefix("sqlite:///"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Unreachable("sqlite_unopenable", path=path, reason=first_line(exc)) from None
    engine = create_engine(
        url,
        pool_pre_ping=True,
        json_serializer=json_text.dumps,
        json_deserializer=json_text.loads,
    )
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

    return engine


def hold_write_lock(s: Session) -> None:
    """On SQLite, begin ``s``'s transaction holding the write lock (``BEGIN IMMEDIATE``).

    A transaction begun by a SAVEPOINT that reads before it writes fails at its first
    write with "database is locked" when another process committed in between
    (SQLITE_BUSY_SNAPSHOT: ``busy_timeout`` does not apply). Taking the lock first
    makes it wait its turn instead. No-op on PostgreSQL or inside a begun transaction.
    """
    conn = s.connection()
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def create_schema(engine: Engine, *, for_tests_or_demo: bool) -> None:
    """Tables for the embedded demo and tests only: ``create_all`` + stamp head.

    Production schemas change only through ``coalguard cloud migrate``
    (Alembic); the flag makes every other use a visible mistake. A database
    that already has tables is migrated, never ``create_all``-ed over.
    """
    if not for_tests_or_demo:
        raise ValueError("create_schema is for tests and the demo: run `coalguard cloud migrate`")
    from coalguard.cloud import app as _app  # noqa: F401  (every table module)
    from coalguard.cloud.migrate import prepare

    prepare(engine, "create")
