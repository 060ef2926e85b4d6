"""Market test fixtures: a session on a fresh SQLite cloud schema (rolled into one transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    create_schema(engine, for_tests_or_demo=True)
    with make_sessionmaker(engine).begin() as session:
        yield session
    engine.dispose()
