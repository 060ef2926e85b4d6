"""Schema management: the cloud's schema changes only through Alembic.

- ``upgrade(url)`` (``coalguard cloud migrate``, ``alembic upgrade head``)
  brings a database to the newest revision. A database made by ``create_all``
  before revisions were stamped (releases up to 0008) is recognised by its
  tables, stamped at the revision it matches, then upgraded, so no migration
  is skipped.
- ``require_head(engine)`` is what every cloud process runs at start: a
  database behind (or ahead of) the code is refused with one line.
- ``create_all`` is only for the embedded demo and tests
  (``db.create_schema(..., for_tests_or_demo=True)``): an empty database gets
  the models' tables and is stamped at head; a non-empty one is migrated.

Replicas start together: on PostgreSQL every schema change runs under one
advisory lock, so one migrates and the others then find it done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import InterfaceError, OperationalError

from coalguard.cloud.db import make_engine
from coalguard.errors import InputError, Unreachable, first_line

SCRIPTS = Path(__file__).with_name("migrations")
SCHEMA_LOCK = 0x636F616C  # "coal": the advisory lock key of every schema change

# What a process does with the schema at start: refuse unless at head, migrate
# first (``serve --migrate``), or create_all/migrate for the demo and tests.
SchemaStart = Literal["require", "migrate", "create"]

# Unstamped create_all databases of earlier releases: the newest revision whose
# table (and column) exists is the one the database matches (newest first).
# Final: since this module, no process makes an unstamped database.
_LEGACY_MARKERS = (
    ("0008", "cloud_user", "lang"),
    ("0003", "lease", None),
    ("0002", "gw_ledger_entry", None),
    ("0004", "cloud_login_session", None),
    ("0001", "gateway_records", None),
)


class SchemaNotCurrent(InputError):
    """The database's revision is not the code's: the process must not start."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory(str(SCRIPTS)).get_current_head()
    assert head is not None, "no Alembic revisions"
    return head


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """Hold the schema advisory lock (PostgreSQL) on a connection of its own."""
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            yield conn
            return
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK})
        conn.commit()
        try:
            yield conn
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK})
            conn.commit()


def legacy_revision(conn: Connection) -> str | None:
    """The revision an unstamped ``create_all`` database matches (None: empty or stamped)."""
    found = inspect(conn)
    tables = set(found.get_table_names())
    if "alembic_version" in tables:
        return None
    for rev, table, column in _LEGACY_MARKERS:
        if table in tables and (
            column is None or column in {c["name"] for c in found.get_columns(table)}
        ):
            return rev
    return None


def reach(engine: Engine) -> None:
    """Connect once: an unreachable database at start is one worded line, not a traceback."""
    try:
        with engine.connect():
            pass
    except (OperationalError, InterfaceError) as exc:
        url = engine.url.render_as_string(hide_password=True)
        raise Unreachable("db_unreachable", url=url, reason=first_line(exc.orig or exc)) from None


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate ``url`` to ``revision`` under the schema lock (stamps a legacy database first)."""
    engine = make_engine(url)
    try:
        reach(engine)
        with schema_lock(engine) as conn:
            _upgrade_locked(conn, url, revision)
    finally:
        engine.dispose()


def _upgrade_locked(conn: Connection, url: str, revision: str) -> None:
    current = MigrationContext.configure(conn).get_current_revision()
    known = {r.revision for r in ScriptDirectory(str(SCRIPTS)).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaNotCurrent(
            f"cloud database at revision {current}, which this release does not know: "
            "a newer release migrated it; run that release"
        )
    cfg = alembic_config(url)
    cfg.attributes["connection"] = conn  # env.py runs on it: the lock is already held
    legacy = legacy_revision(conn)
    if legacy is not None:
        command.stamp(cfg, legacy)
    command.upgrade(cfg, revision)
    conn.commit()


def require_head(engine: Engine) -> None:
    """Refuse (one line) a database whose revision is not the code's head."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    scripts = ScriptDirectory(str(SCRIPTS))
    head = scripts.get_current_head()
    if current == head:
        return
    if current is not None and current not in {r.revision for r in scripts.walk_revisions()}:
        raise SchemaNotCurrent(
            f"cloud database at revision {current}, which this release ({head}) does not "
            "know: a newer release migrated it; run that release"
        )
    have = f"at revision {current}" if current else "not migrated"
    raise SchemaNotCurrent(
        f"cloud database {have}, this release needs {head}: run `coalguard cloud migrate`"
    )


def prepare(engine: Engine, start: SchemaStart) -> None:
    """Bring ``engine``'s schema to head the way ``start`` allows, then require head."""
    reach(engine)
    url = engine.url.render_as_string(hide_password=False)
    if start == "migrate":
        upgrade(url)
    elif start == "create":
        _create_or_upgrade(engine, url)
    require_head(engine)


def _create_or_upgrade(engine: Engine, url: str) -> None:
    """Demo and tests: ``create_all`` + stamp head on an empty database, else migrate."""
    from coalguard.cloud.db import Base

    with schema_lock(engine) as conn:
        if inspect(conn).get_table_names():
            _upgrade_locked(conn, url, "head")
            return
        Base.metadata.create_all(conn)
        if conn.dialect.name == "postgresql":  # as revision 0021 leaves it
            from coalguard.cloud.co.partitions import partition_messages

            partition_messages(conn)
        MigrationContext.configure(conn).stamp(ScriptDirectory(str(SCRIPTS)), "head")
        conn.commit()


def open_engine(url: str, start: SchemaStart = "require") -> Engine:
    """An engine on ``url`` whose schema is at head (every cloud command opens this way)."""
    engine = make_engine(url)
    prepare(engine, start)
    return engine
