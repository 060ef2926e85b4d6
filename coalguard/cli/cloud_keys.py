"""``coalguard cloud keys new|rotate``: the sealing keys of personal data (docs/contacts.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.options import Lang, lang_or_default
from coalguard.edge.clock import SystemClock
from coalguard.i18n import t

app = typer.Typer(help="Keys sealing personal data at rest: add, rotate.", no_args_is_help=True)


@app.command("new")
def new(
    file: Annotated[Path, typer.Option("--file", help="The key file (TOML), created 0600.")],
    lang: Lang = "",
) -> None:
    """Append a fresh key to the key file: it seals from the next start; older keys still open."""
    from coalguard.cloud.sealing import add_key_to_file, new_key_id

    kid = add_key_to_file(file, new_key_id(SystemClock().now()))
    typer.echo(t("sealing.key_added", lang_or_default(lang)).format(key_id=kid, path=file))


@app.command("rotate")
def rotate(
    db: Annotated[str | None, typer.Option("--db", help="Database URL.")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Rows re-sealed per transaction.")] = 500,
    lang: Lang = "",
) -> None:
    """Re-seal every row still sealed with an older key with the newest one, in batches.

    Safe to stop and run again: each batch commits alone and only rows on an older key
    are picked. When it reports 0 rows left, the older keys may be removed."""
    from coalguard.cloud import app as _app  # noqa: F401  (every table)
    from coalguard.cloud import audit
    from coalguard.cloud.db import Base, make_sessionmaker
    from coalguard.cloud.migrate import open_engine
    from coalguard.cloud.sealing import count_older, keyring_of, reseal, sealed_models
    from coalguard.cloud.settings import CloudSettings

    settings = CloudSettings(db_url=db) if db else CloudSettings()
    keyring = keyring_of(settings, generated_ok=False)
    sessions = make_sessionmaker(open_engine(settings.db_url))
    models = sealed_models(Base)
    moved = 0
    for model in models:
        while True:
            with sessions.begin() as s:
                n = reseal(s, model, keyring, batch)
            moved += n
            if n < batch:
                break
    with sessions.begin() as s:
        left = sum(count_older(s, models, keyring).values())
        detail = {"key_id": keyring.current, "moved": moved, "left": left}
        audit.record(s, audit.cli_actor(), "keys rotate", detail=detail, at=SystemClock().now())
    words = t("sealing.rotate_done", lang_or_default(lang))
    typer.echo(words.format(key_id=keyring.current, moved=moved, left=left))
