"""Cloud fixtures: a database URL per backend (SQLite, and a real PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import PostgresServer, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_server() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/cloud.sqlite"
    pg: PostgresServer = request.getfixturevalue("pg_server")
    return pg.new_database()


@pytest.fixture
def cloud_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite by default; a fresh PostgreSQL database with COALGUARD_CLOUD_TEST_DB=postgresql.

    Tests that must cover both backends in every run use ``db_url`` instead.
    """
    if os.environ.get("COALGUARD_CLOUD_TEST_DB") == "postgresql":
        pg: PostgresServer = request.getfixturevalue("pg_server")
        return pg.new_database()
    return f"sqlite:///{tmp_path}/cloud.sqlite"
