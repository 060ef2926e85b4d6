"""Pinned bug: a sheet import on SQLite failed with "database is locked" when another
process committed between the import's first read and its first insert (the SAVEPOINT
began a deferred transaction whose snapshot went stale: SQLITE_BUSY_SNAPSHOT, which
``busy_timeout`` does not wait out). Seen in CI as the installer coverage test failing."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from coalguard.cloud.db import make_engine, make_sessionmaker
from coalguard.cloud.sheets import RowError, apply_rows
from coalguard.errors import WordedError


def test_sheet_import_while_another_process_writes_is_not_refused_as_locked(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'cloud.sqlite'}"
    importer, other = make_engine(url), make_engine(url)  # two processes' engines
    with importer.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (v TEXT)")
    sessions = make_sessionmaker(importer)
    other_done = threading.Event()

    def other_process_writes() -> None:
        with other.begin() as c:
            c.exec_driver_sql("INSERT INTO t VALUES ('other')")
        other_done.set()

    def apply(row: dict[str, str]) -> None:
        s.execute(text("SELECT count(*) FROM t")).scalar_one()  # the row's lookup
        writer = threading.Thread(target=other_process_writes)
        writer.start()
        # Holding the write lock, the other process waits for the import (it would
        # otherwise commit here and leave this transaction's snapshot stale).
        other_done.wait(0.5)
        s.execute(text("INSERT INTO t VALUES (:v)"), {"v": row["v"]})
        threads.append(writer)

    threads: list[threading.Thread] = []
    with sessions.begin() as s:
        errors, kept = apply_rows(
            s, [(2, {"v": "imported"})], apply, commit=True,
            refusal=WordedError, column_of=lambda e: "-", row_error=RowError,
        )  # fmt: skip
    assert errors == [] and kept
    for w in threads:
        w.join(15)
    assert other_done.is_set()
    with importer.connect() as c:
        assert sorted(c.exec_driver_sql("SELECT v FROM t").scalars()) == ["imported", "other"]
