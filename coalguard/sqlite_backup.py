"""Online backup of a SQLite database while its service writes (gateway, small cloud).

SQLite's backup API (``sqlite3.Connection.backup``) copies the database as one
read transaction: the copy is the database as of one commit, every row committed
before the backup started is in it, and in WAL mode (both services use it) the
writers go on meanwhile. The copy is written beside the destination, checked with
``PRAGMA integrity_check``, synced, then renamed into place, so a destination file
is always a whole, checked database. Never ``cp`` a live database: a copy taken
between a WAL write and its checkpoint is torn.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from coalguard.errors import WordedError


class BackupError(WordedError):
    """The backup cannot be made (no source, destination taken, copy corrupt)."""

    section = "deploy"


@dataclass(frozen=True)
class BackupResult:
    source: Path
    dest: Path
    pages: int
    size: int


def backup(source: Path, dest: Path, *, busy_timeout_s: float = 30.0) -> BackupResult:
    """Copy the live database ``source`` to the new file ``dest``; raise ``BackupError``."""
    if not source.is_file():
        raise BackupError("backup_no_source", path=source)
    if dest.exists():
        raise BackupError("backup_dest_exists", dest=dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=busy_timeout_s)
    try:
        copy = sqlite3.connect(part)
        try:
            src.backup(copy)  # pages=-1: one step, one snapshot
            problems = [r[0] for r in copy.execute("PRAGMA integrity_check")]
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        finally:
            copy.close()
    finally:
        src.close()
    if problems != ["ok"]:
        part.unlink(missing_ok=True)
        raise BackupError("backup_corrupt", dest=dest, detail="; ".join(problems[:3]))
    os.chmod(part, 0o640)
    with open(part, "rb") as f:
        os.fsync(f.fileno())
    os.replace(part, dest)
    return BackupResult(source, dest, pages, dest.stat().st_size)
