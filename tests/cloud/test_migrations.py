"""Alembic migrations create every cloud table exactly as the models declare them."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from coalguard.cloud import app as _app  # noqa: F401  (every table)
from coalguard.cloud.db import Base, create_schema, make_engine
from coalguard.cloud.migrate import alembic_config, current_revision, upgrade


def test_migrations_match_the_models_and_downgrade(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models changed without a migration (alembic revision): {diff}"
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert current_revision(db_url) is not None
    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_a_demo_database_is_stamped_not_recreated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/demo.sqlite"
    create_schema(make_engine(url))
    upgrade(url)
    assert current_revision(url) is not None
