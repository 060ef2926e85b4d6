"""``coalguard cloud co-ingest`` and ``coalguard cloud token``: the CO alarm path.

``co-ingest`` runs the MQTT ingest, alert sweeper and notifier (several may
run with ``--shared-group``), optionally serving the REST API in the same
process. ``token`` issues an operator/installer token scoped to a region.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.options import Demo, MigrateFirst
from coalguard.edge.clock import SystemClock
from coalguard.errors import InputError, as_refusal


def co_ingest(
    broker: Annotated[
        str, typer.Option(envvar="COALGUARD_CO_BROKER_URL", help="mqtt[s]://user:pass@host:port")
    ],
    db: Annotated[
        str | None,
        typer.Option(help="Database URL (default: COALGUARD_CLOUD_DB_URL or the SQLite file)."),
    ] = None,
    shared_group: Annotated[
        str | None, typer.Option(help="Join the shared subscription $share/<group>/co/v1/+/…")
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option(
            help="MQTT client id; fixed, it keeps the session across restarts "
            "(default: unique per process)."
        ),
    ] = None,
    ca_file: Annotated[Path | None, typer.Option(help="CA certificate for mqtts://.")] = None,
    rules: Annotated[Path | None, typer.Option(help="Alert rules TOML (default: shipped).")] = None,
    webhook_url: Annotated[
        str | None, typer.Option(envvar="COALGUARD_CO_WEBHOOK_URL", help="Webhook channel URL.")
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(envvar="COALGUARD_CO_WEBHOOK_SECRET", help="HMAC secret of webhooks."),
    ] = None,
    http: Annotated[str | None, typer.Option(help="Also serve the REST API on HOST:PORT.")] = None,
    metrics: Annotated[
        str | None,
        typer.Option(
            envvar="COALGUARD_CO_METRICS",
            help="Serve Prometheus /metrics on PORT or HOST:PORT (host 127.0.0.1; default off).",
        ),
    ] = None,
    demo: Demo = False,
    migrate: MigrateFirst = False,
) -> None:
    """Run the CO alarm ingest, alerts and notifications until interrupted."""
    from coalguard.cloud.co import CoService, CoSettings
    from coalguard.cloud.db import make_sessionmaker
    from coalguard.cloud.migrate import open_engine
    from coalguard.cloud.process import (
        refuse_default_secrets,
        require_broker,
        secrets_used,
        start_keyring,
    )
    from coalguard.cloud.settings import CloudSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    given = {"webhook_secret": webhook_secret} if webhook_secret is not None else {}
    co = CoSettings(
        broker_url=broker,
        shared_group=shared_group,
        ca_file=ca_file,
        rules_file=rules,
        webhook_url=webhook_url,
        **given,
        **({"client_id": client_id} if client_id else {}),
    )
    # One validated settings object for the whole process: ingest and API share it.
    cloud = CloudSettings(co=co, **({"db_url": db} if db else {}))
    uses = secrets_used(cloud.co, serves_api=http is not None, runs_ingest=True)
    refuse_default_secrets(cloud.co, demo=demo or cloud.demo, uses=uses)
    keyring = start_keyring(cloud, demo=demo or cloud.demo)
    if cloud.co.broker_url:  # before the database: its migration logs lines of its own
        require_broker(cloud.co.broker_url)
    engine = open_engine(cloud.db_url, "migrate" if migrate else "require")
    clock = SystemClock()  # the process's one clock: ingest, sweeps and API
    svc = CoService(
        cloud.co,
        make_sessionmaker(engine),
        clock=clock,
        keyring=keyring,  # opens the directory's phones: who each escalation step reaches
        public_url=cloud.public_url,
    )
    if metrics:
        svc.metrics.serve(metrics)
    svc.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if http:
            _serve_api(cloud, http, clock, keyring)
        else:
            while not stop.wait(1):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        svc.stop()


def _serve_api(cloud, http: str, clock: SystemClock, keyring) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from coalguard.cloud.app import create_app
    from coalguard.cloud.process import uvicorn_options

    host, _, port = http.rpartition(":")
    if not port.isdigit():
        raise InputError(f"--http {http!r}: use HOST:PORT")
    uvicorn.run(
        create_app(cloud, clock, keyring=keyring),
        host=host or "127.0.0.1",
        port=int(port),
        log_level="warning",
        **uvicorn_options(cloud),
    )


def token(
    name: Annotated[str, typer.Option(help="Who the token is for (shown in alert history).")],
    region: Annotated[
        str, typer.Option(help="Region code prefix it may see, e.g. 13 or 130102 ('' = all).")
    ] = "",
    role: Annotated[str, typer.Option(help="operator, installer or admin.")] = "operator",
    db: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Issue an API token scoped to a region code prefix (printed once)."""
    from coalguard.cloud.auth import issue_token
    from coalguard.cloud.db import make_sessionmaker
    from coalguard.cloud.migrate import open_engine
    from coalguard.cloud.settings import CloudSettings

    cloud = CloudSettings(db_url=db) if db else CloudSettings()
    engine = open_engine(cloud.db_url)
    try:
        typer.echo(
            issue_token(make_sessionmaker(engine), name, region, role, now=SystemClock().now())
        )
    except ValueError as exc:
        raise as_refusal(exc) from None


def co_retention(
    db: Annotated[
        str | None,
        typer.Option(help="Database URL (default: COALGUARD_CLOUD_DB_URL or the SQLite file)."),
    ] = None,
    days: Annotated[
        float | None,
        typer.Option(min=0.001, help="Keep raw heartbeats this many days (default: settings, 14)."),
    ] = None,
    batch: Annotated[
        int | None, typer.Option(min=1, help="Heartbeats per transaction (default: 5000).")
    ] = None,
) -> None:
    """Summarise CO heartbeats older than the retention per alarm per hour, then delete them."""
    from datetime import timedelta

    from coalguard.cloud.co.retention import Retention
    from coalguard.cloud.db import make_sessionmaker
    from coalguard.cloud.migrate import open_engine
    from coalguard.cloud.settings import CloudSettings
    from coalguard.i18n import t

    cloud = CloudSettings(db_url=db) if db else CloudSettings()
    engine = open_engine(cloud.db_url)
    clock = SystemClock()
    job = Retention(
        make_sessionmaker(engine),
        timedelta(days=days if days is not None else cloud.co.retention_days),
        batch or cloud.co.retention_batch,
        clock=clock,
    )
    done = job.run(clock.now())
    typer.echo(
        t("retention.done").format(deleted=done.deleted, hours=done.hours, batches=done.batches)
    )
    engine.dispose()


def register(cloud_app: typer.Typer) -> None:
    """Add the CO commands to the ``coalguard cloud`` group."""
    cloud_app.command("co-ingest")(co_ingest)
    cloud_app.command("token")(token)
    cloud_app.command("co-retention")(co_retention)
