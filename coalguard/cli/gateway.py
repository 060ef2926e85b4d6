"""``coalguard gateway``: run the checkpoint service and check its books."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.gateway_users import app as users_app
from coalguard.cli.options import Lang, lang_or_default
from coalguard.gateway.config import load_config
from coalguard.i18n import t

app = typer.Typer(
    help="The checkpoint gateway (inspection workflow, ledgers, cameras).", no_args_is_help=True
)
app.add_typer(users_app, name="users")

ConfigOpt = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="Gateway TOML file (see deploy/gateway.toml).",
        envvar="COALGUARD_GATEWAY_CONFIG",
    ),
]


@app.command("run")
def run(config: ConfigOpt) -> None:
    """Serve the operator page, camera intake, /healthz and /metrics."""
    from coalguard.gateway.run import serve

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per uplink request is noise
    serve(load_config(config))


@app.command("check-config")
def check_config(config: ConfigOpt, lang: Lang = "") -> None:
    """Validate the config file exactly as ``run`` does (register maps, jurisdiction,
    uplink transport and token); exit 2 on a mistake, worded in ``--lang``."""
    from coalguard.gateway.preflight import preflight

    cfg = load_config(config)  # also loads each analyzer's register map
    preflight(cfg)
    typer.echo(
        f"{config}: ok (checkpoint {cfg.checkpoint.id}, {len(cfg.cameras)} cameras, "
        f"{len(cfg.analyzers)} analyzers, retention {cfg.retention.camera_days} days)"
    )


@app.command("verify-ledger")
def verify_ledger(config: ConfigOpt, lang: Lang = "") -> None:
    """Check every ledger's hash chain, and against the cloud's copy when it answers.

    Exit 0 intact, 1 when tampering or a difference from the cloud is found.
    """
    from coalguard.edge.clock import SystemClock
    from coalguard.errors import words_of
    from coalguard.gateway.cloud_get import CloudUnavailable
    from coalguard.gateway.errors import in_words
    from coalguard.gateway.ledger import Ledger
    from coalguard.gateway.ledger_cloud import compare_with_cloud, fetch_cloud_ledger
    from coalguard.gateway.sink import StoreSink
    from coalguard.gateway.store import Store
    from coalguard.i18n import t

    lang = lang_or_default(lang)
    cfg = load_config(config)
    if not cfg.db_path.exists():
        raise typer.BadParameter(t("ledger_cloud.no_database", lang).format(path=cfg.db_path))
    store = Store(cfg.db_path)
    try:
        ledger = Ledger(store, StoreSink(store, SystemClock()), SystemClock())
        counts, problems = ledger.verify()
        positions = ledger.positions()
    finally:
        store.close()
    for book, n in counts.items():
        book_words = in_words("gw_book", book, lang)
        typer.echo(t("gw_ledger_check.entries", lang).format(book=book_words, n=n))
    for p in problems:
        typer.echo(t("gw_ledger_check.tampered", lang).format(problem=p.text(lang)), err=True)
    differences = []
    if not cfg.cloud.url:
        typer.echo(t("gw_ledger_check.no_cloud", lang))
    else:
        try:
            cmp = compare_with_cloud(positions, fetch_cloud_ledger(cfg))
        except CloudUnavailable as exc:
            line = t("gw_ledger_check.cloud_unreachable", lang).format(reason=words_of(exc, lang))
            typer.echo(line, err=True)
        else:
            differences = cmp.problems
            typer.echo(
                t("gw_ledger_check.cloud_compared", lang).format(
                    n=cmp.compared, pending=cmp.not_in_cloud
                )
            )
            for p in differences:
                line = t("gw_ledger_check.cloud_differs", lang).format(problem=p.text(lang))
                typer.echo(line, err=True)
    if problems or differences:
        raise typer.Exit(1)
    typer.echo(t("gw_ledger_check.intact", lang))


@app.command("purge")
def purge(config: ConfigOpt, lang: Lang = "") -> None:
    """Run one camera-metadata retention purge now and print its counts (service stopped)."""
    from coalguard.edge.clock import local_text
    from coalguard.gateway.run import build

    lang = lang_or_default(lang)
    parts = build(load_config(config))
    try:
        r = parts.gateway.cameras.purge()
    finally:
        parts.close()
    cutoff = local_text(r.cutoff, "%Y-%m-%d %H:%M:%S")
    typer.echo(
        t("gw_cli.purged", lang).format(
            cutoff=cutoff, purged=r.purged, held=r.held, batches=r.batches
        )
    )


@app.command("backup")
def backup(
    dest: Annotated[Path, typer.Argument(help="New file for the copy (must not exist).")],
    config: ConfigOpt,
    lang: Lang = "",
) -> None:
    """Copy the gateway database to DEST while the service runs (SQLite online backup)."""
    from coalguard.cli.backup import run_backup

    run_backup(load_config(config).db_path, dest, lang_or_default(lang))


@app.command("load-fast-pass")
def load_fast_pass(
    config: ConfigOpt,
    file: Annotated[
        Path | None, typer.Argument(help="List file (default: [fast_pass] file).")
    ] = None,
) -> None:
    """Load the fast-pass list into the local cache (service stopped; it reloads by itself)."""
    from coalguard.gateway.run import build

    parts = build(load_config(config))
    try:
        n = parts.gateway.load_fast_pass(file)
    finally:
        parts.close()
    typer.echo(f"fast-pass list: {n} trucks")
