"""``coalguard gateway backup`` and ``coalguard cloud backup``: one way to copy a live SQLite."""

from __future__ import annotations

from pathlib import Path

import typer

from coalguard.i18n import t
from coalguard.sqlite_backup import backup


def run_backup(source: Path, dest: Path, lang: str) -> None:
    """Back ``source`` up to ``dest`` and say so in ``lang`` (errors: one line, exit 2)."""
    r = backup(source, dest)
    typer.echo(
        t("deploy.backup_done", lang).format(
            dest=r.dest, source=r.source, pages=r.pages, size=r.size
        )
    )
