"""Alembic environment: the cloud's metadata; the URL from the Config, ``-x url=`` or the settings.

Run by ``coalguard cloud migrate`` (which passes its own connection, already
holding the schema advisory lock) and by the standard ``alembic`` CLI (which
takes that lock here), so replicas and operators never migrate at once.
"""

from __future__ import annotations

import logging.config

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text

from coalguard.cloud import app as _app  # noqa: F401  (imports every table module)
from coalguard.cloud.co.partitions import compare_filter
from coalguard.cloud.db import Base
from coalguard.cloud.migrate import SCHEMA_LOCK

config = context.config
target_metadata = Base.metadata
if config.config_file_name is not None and config.attributes.get("connection") is None:
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    given = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if given:
        return given
    from coalguard.cloud.settings import CloudSettings

    return CloudSettings().db_url


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=compare_filter(conn),  # partitions are not model tables
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)  # the caller holds the schema lock
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        locked = engine.dialect.name == "postgresql"
        if locked:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK})
            conn.commit()
        try:
            _run(conn)
        finally:
            if locked:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK})
                conn.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
