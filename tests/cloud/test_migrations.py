"""Alembic migrations create every cloud table exactly as the models declare them."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from coalguard.cloud import app as _app  # noqa: F401  (every table)
from coalguard.cloud.co.partitions import compare_filter
from coalguard.cloud.db import Base, create_schema, make_engine
from coalguard.cloud.migrate import (
    SchemaNotCurrent,
    alembic_config,
    current_revision,
    head_revision,
    open_engine,
    upgrade,
)


def _compare_opts(conn: Connection) -> dict[str, Any]:
    return {"compare_type": True, "include_object": compare_filter(conn)}


def test_migrations_match_the_models_and_downgrade(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts=_compare_opts(conn))
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


def _assert_matches_models(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts=_compare_opts(conn)), Base.metadata
            )
        assert diff == [], f"schema differs from the models: {diff}"
    finally:
        engine.dispose()


@pytest.mark.parametrize("older", ["0001", "0004", "0002", "0003", "0008"])
def test_serve_then_migrate_does_not_skip_a_migration(db_url: str, older: str) -> None:
    # A database made by an earlier release's ``serve`` (create_all of its models, never
    # stamped): ``migrate`` used to stamp it as head, skipping the migrations after it.
    upgrade(db_url, older)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    _assert_matches_models(db_url)


def test_a_demo_database_is_created_at_head_and_migrates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/demo.sqlite"
    create_schema(make_engine(url), for_tests_or_demo=True)
    assert current_revision(url) == head_revision()
    _assert_matches_models(url)
    upgrade(url)
    assert current_revision(url) == head_revision()


def test_create_all_needs_the_explicit_flag(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="cloud migrate"):
        create_schema(make_engine(f"sqlite:///{tmp_path}/p.sqlite"), for_tests_or_demo=False)


def test_a_database_behind_head_is_refused_with_one_line(db_url: str) -> None:
    upgrade(db_url, "0004")
    with pytest.raises(SchemaNotCurrent) as refused:
        open_engine(db_url)
    assert str(refused.value) == (
        f"cloud database at revision 0004, this release needs {head_revision()}: "
        "run `coalguard cloud migrate`"
    )
    open_engine(db_url, "migrate").dispose()
    assert current_revision(db_url) == head_revision()


def test_a_database_from_a_newer_release_is_refused(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaNotCurrent, match="revision 9999, which this release"):
        open_engine(db_url)
    with pytest.raises(SchemaNotCurrent, match="a newer release migrated it"):
        upgrade(db_url)
    engine.dispose()
