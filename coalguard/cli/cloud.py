"""``coalguard cloud serve|gateway …``: run the cloud, register gateways."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.options import Demo, Lang, MigrateFirst, lang_or_default
from coalguard.edge.clock import SystemClock, local_text
from coalguard.errors import InputError
from coalguard.i18n import t

app = typer.Typer(help="The cloud service: ingest, alerts, registry.", no_args_is_help=True)
gateway_app = typer.Typer(
    help="Checkpoint gateways allowed to send record batches.", no_args_is_help=True
)
app.add_typer(gateway_app, name="gateway")

DbUrl = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy database URL (sqlite:///path or postgresql+psycopg://…). "
        "Default: COALGUARD_CLOUD_DB_URL, else sqlite:///var/cloud.sqlite.",
        show_default=False,
    ),
]


def _settings(db: str | None):  # type: ignore[no-untyped-def]
    from coalguard.cloud.settings import CloudSettings

    return CloudSettings(db_url=db) if db else CloudSettings()


def _engine(db: str | None):  # type: ignore[no-untyped-def]
    from coalguard.cloud.migrate import open_engine

    return open_engine(_settings(db).db_url)


def _started_app(settings, *, demo: bool, migrate: bool, serves_api: bool):  # type: ignore[no-untyped-def]
    """The cloud app as ``serve`` and ``work`` start it: shipped secrets refused where this
    process would use them, the sealing keys checked, the schema required (or migrated),
    the start-up heap settled."""
    from coalguard.cloud.app import create_app
    from coalguard.cloud.process import (
        refuse_default_secrets,
        secrets_used,
        settle_heap,
        start_keyring,
    )

    uses = secrets_used(settings.co, serves_api=serves_api, runs_ingest=False)
    refuse_default_secrets(settings.co, demo=demo or settings.demo, uses=uses)
    keyring = start_keyring(settings, demo=demo or settings.demo)
    application = create_app(settings, schema="migrate" if migrate else "require", keyring=keyring)
    settle_heap()
    return application


@app.command("serve")
def serve(
    db: DbUrl = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="TLS certificate (PEM): serve HTTPS.")
    ] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            envvar="COALGUARD_CLOUD_FORWARDED_ALLOW_IPS",
            help="Comma-separated addresses of TLS-terminating proxies whose X-Forwarded-For "
            "and X-Forwarded-Proto are trusted (default: none).",
        ),
    ] = None,
    demo: Demo = False,
    migrate: MigrateFirst = False,
) -> None:
    """Serve the cloud: API (ingest, alerts, checks, reports) and the dashboard (/login)."""
    import uvicorn

    from coalguard.cloud.process import uvicorn_options

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise InputError("--ssl-certfile and --ssl-keyfile go together")
    settings = _settings(db)
    if forwarded_allow_ips is not None:
        settings = settings.model_copy(update={"forwarded_allow_ips": forwarded_allow_ips})
    application = _started_app(settings, demo=demo, migrate=migrate, serves_api=True)
    typer.echo(
        f"coalguard cloud listening on {'https' if ssl_certfile else 'http'}://{host}:{port}",
        err=True,
    )
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level=log_level,
        **uvicorn_options(settings, ssl_certfile, ssl_keyfile),
    )


@app.command("work")
def work(
    db: DbUrl = None,
    interval: Annotated[
        float,
        typer.Option(help="Seconds between passes (projector, checks sweep).", min=0.05),
    ] = 1.0,
    demo: Demo = False,
    migrate: MigrateFirst = False,
) -> None:
    """Run the cloud's background work without serving HTTP: the projector, the checks
    sweep, the referral notifier (and the InfluxDB export when set). Beside a `cloud serve`
    whose own is off (COALGUARD_CLOUD_CHECKS_INTERVAL_S=0), projection gets its own core;
    several may run: each pass takes its lease."""
    import signal
    import threading

    from coalguard.cloud.app import start_background, stop_background

    settings = _settings(db).model_copy(update={"checks_interval_s": interval})
    application = _started_app(settings, demo=demo, migrate=migrate, serves_api=False)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    start_background(application)
    typer.echo(t("cloud_work.started").format(interval=interval), err=True)
    try:
        stop.wait()
    finally:
        stop_background(application)


def _write_token(token: str, token_file: Path | None) -> None:
    if token_file is None:
        typer.echo(token)
        return
    token_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    typer.echo(f"token written to {token_file}", err=True)


TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file", help="Write the token to this file (mode 600) instead of printing it."
    ),
]


@gateway_app.command("add")
def gateway_add(
    gateway_id: Annotated[str, typer.Argument(help="Gateway id, e.g. hebei-zhuozhou-01")],
    name: Annotated[str, typer.Option(help="Human-readable name of the checkpoint.")] = "",
    db: DbUrl = None,
    token_file: TokenFile = None,
) -> None:
    """Register a gateway and print its new bearer token (shown once)."""
    from coalguard.cloud.gateways import register_gateway

    _write_token(
        register_gateway(_engine(db), gateway_id, name=name, now=SystemClock().now()), token_file
    )


@gateway_app.command("rotate-token")
def gateway_rotate(
    gateway_id: Annotated[str, typer.Argument(help="Gateway id.")],
    db: DbUrl = None,
    token_file: TokenFile = None,
) -> None:
    """Give a gateway a new token; the old one stops working at once."""
    from coalguard.cloud.gateways import register_gateway

    _write_token(
        register_gateway(_engine(db), gateway_id, rotate=True, now=SystemClock().now()), token_file
    )


@gateway_app.command("disable")
def gateway_disable(
    gateway_id: Annotated[str, typer.Argument(help="Gateway id.")], db: DbUrl = None
) -> None:
    """Refuse a gateway's batches until its token is rotated."""
    from coalguard.cloud.gateways import set_enabled

    set_enabled(_engine(db), gateway_id, False)


@gateway_app.command("list")
def gateway_list(db: DbUrl = None, lang: Lang = "") -> None:
    """List registered gateways (never their tokens); times in Asia/Shanghai."""
    from coalguard.cloud.gateways import list_gateways

    lang = lang_or_default(lang)
    typer.echo(t("cli_table.gateways_header", lang))
    for g in list_gateways(_engine(db)):
        state = t("cli_table.enabled" if g.enabled else "cli_table.disabled", lang)
        token_set = local_text(g.token_set_at, "%Y-%m-%d %H:%M")
        typer.echo(f"{g.gateway_id}\t{state}\t{g.name}\t{token_set}")


@app.command("backup")
def backup(
    dest: Annotated[Path, typer.Argument(help="New file for the copy (must not exist).")],
    db: DbUrl = None,
    lang: Lang = "",
) -> None:
    """Copy the cloud's SQLite database to DEST while it serves (PostgreSQL: pg_dump)."""
    from sqlalchemy.engine import make_url

    from coalguard.cli.backup import run_backup
    from coalguard.sqlite_backup import BackupError

    url = make_url(_settings(db).db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("backup_not_sqlite", url=url.render_as_string(hide_password=True))
    run_backup(Path(url.database), dest, lang_or_default(lang))


# The operators' commands (users, reports) and the CO path live in their own modules.
from coalguard.cli import cloud_co, cloud_ops  # noqa: E402

cloud_ops.register(app)
cloud_co.register(app)
