"""``coalguard gateway backup`` / ``coalguard cloud backup``: an online copy while a writer
commits, by the real CLI. The copy passes ``PRAGMA integrity_check`` and holds every row
committed before the backup started."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from coalguard.gateway.store import Store
from coalguard.sqlite_backup import BackupError, backup
from tests.conftest import COALGUARD, free_port
from tests.support.gateway import CONFIG, FASTPASS
from tests.support.waiting import wait_for

ENV = {**os.environ, "COALGUARD_LANG": "en"}


class Writer(threading.Thread):
    """Commits one row per transaction into ``path`` until stopped; ``committed`` ids."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA busy_timeout=30000")
            while not self.stop.is_set():
                cur = db.execute("INSERT INTO writes (body) VALUES (randomblob(512))")
                self.committed.append(cur.lastrowid)  # autocommit: committed on return
            db.close()
        except BaseException as exc:  # the test fails on it
            self.error = exc


def preload(path: Path, rows: int = 20_000) -> None:
    """A WAL database of some megabytes (both services run in WAL mode)."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE writes (id INTEGER PRIMARY KEY, body BLOB)")
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO writes (body) SELECT randomblob(512) FROM n",
        (rows,),
    )
    db.commit()
    db.close()


def gateway_db(tmp_path: Path) -> tuple[Path, list[str]]:
    cfg = tmp_path / "gateway.toml"
    cfg.write_text(CONFIG.format(port=free_port()))
    (tmp_path / "fastpass.toml").write_text(FASTPASS)
    path = tmp_path / "data" / "gateway.sqlite"
    Store(path).close()  # the gateway's own schema, WAL
    return path, ["gateway", "backup", "--config", str(cfg)]


def cloud_db(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "cloud.sqlite"
    return path, ["cloud", "backup", "--db", f"sqlite:///{path}"]


@pytest.mark.parametrize("service", [gateway_db, cloud_db], ids=["gateway", "cloud"])
def test_backup_while_the_service_writes_has_every_committed_row(tmp_path: Path, service) -> None:  # type: ignore[no-untyped-def]
    path, command = service(tmp_path)
    preload(path)
    writer = Writer(path)
    writer.start()
    try:
        wait_for(lambda: len(writer.committed) >= 200 or writer.error, 30, "writes committed")
        before = writer.committed[-1]  # committed before the backup started
        dest = tmp_path / "backups" / "copy.sqlite"
        r = subprocess.run(
            [COALGUARD, *command, str(dest)], capture_output=True, text=True, env=ENV, timeout=120
        )
        during = writer.committed[-1]
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert r.returncode == 0, r.stderr
    assert "integrity ok" in r.stdout and "Traceback" not in r.stderr
    assert during > before  # the service kept writing while the backup ran
    copy = sqlite3.connect(dest)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        have = copy.execute("SELECT count(*) FROM writes WHERE id <= ?", (before,)).fetchone()
        assert have == (before,)
    finally:
        copy.close()
    assert not dest.with_name(dest.name + ".part").exists()
    assert oct(dest.stat().st_mode & 0o777) == "0o640"


def test_backup_refuses_a_taken_destination_and_a_missing_source(tmp_path: Path) -> None:
    src = tmp_path / "a.sqlite"
    preload(src, rows=10)
    taken = tmp_path / "taken.sqlite"
    taken.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup(src, taken)
    assert taken.read_text() == "keep me"
    with pytest.raises(BackupError, match="no such database"):
        backup(tmp_path / "missing.sqlite", tmp_path / "b.sqlite")
    r = subprocess.run(
        [COALGUARD, "cloud", "backup", str(tmp_path / "c"), "--db", "postgresql://u:pw@h/db"],
        capture_output=True, text=True, env=ENV, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "coalguard: error: backup copies a SQLite database; postgresql://u:***@h/db "
        "is not one (PostgreSQL: use pg_dump)"
    )
