"""Schema management: Alembic migrations for production, ``create_all`` for demos.

``upgrade(url)`` brings a database to the newest revision. A database made by
``create_all`` (the SQLite demo default) is stamped as current the first time
so later migrations apply on top of it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from coalguard.cloud.db import make_engine

SCRIPTS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate ``url`` to ``revision``; stamps a create_all-made schema first."""
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    cfg = alembic_config(url)
    if "alembic_version" not in tables and "gateway_records" in tables:
        command.stamp(cfg, "head")
        return
    command.upgrade(cfg, revision)
