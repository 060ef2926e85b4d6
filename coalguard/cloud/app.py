"""Composition root of the cloud process: ``create_app(settings) -> FastAPI``.

Route modules stay thin (``cloud/api/routes/``, each exposes ``router``); storage
and rules live apart from routes. Each area adds its router to ``routes.ROUTERS``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from coalguard.cloud import (
    audit,
    auth,  # noqa: F401  (user and token tables)
    login_sessions,  # noqa: F401  (dashboard session table)
    regions,
)
from coalguard.cloud import influx as _influx  # noqa: F401  (influx_cursor table)
from coalguard.cloud.api import problems
from coalguard.cloud.api.responses import declare_refusals
from coalguard.cloud.api.routes import ROUTERS
from coalguard.cloud.board.stream import OpenStreams
from coalguard.cloud.casework import tables as casework_tables  # noqa: F401  (tips, ledger)
from coalguard.cloud.checks import tables as checks_tables  # noqa: F401
from coalguard.cloud.checks.projector import Projector
from coalguard.cloud.checks.worker import ChecksWorker, projector_claim
from coalguard.cloud.co import tables as co_tables  # noqa: F401  (CO alarm tables)
from coalguard.cloud.co.directory import ContactDirectory
from coalguard.cloud.co.notifier import PHONE_KINDS, Notifier, RetryPolicy
from coalguard.cloud.co.service import ack_links, make_channels
from coalguard.cloud.contacts import tables as contact_tables  # noqa: F401
from coalguard.cloud.db import make_engine, make_sessionmaker
from coalguard.cloud.delivery import tables as delivery_tables  # noqa: F401  (delivery)
from coalguard.cloud.households import tables as household_tables  # noqa: F401
from coalguard.cloud.leases import Leases
from coalguard.cloud.market import sales_tables  # noqa: F401  (sales, findings, cases)
from coalguard.cloud.market import tables as market_tables  # noqa: F401  (coal market)
from coalguard.cloud.metrics import CloudMetrics
from coalguard.cloud.migrate import SchemaStart
from coalguard.cloud.migrate import prepare as prepare_schema
from coalguard.cloud.patrols import tables as patrol_tables  # noqa: F401  (grid patrols)
from coalguard.cloud.referrals.cases import ReferralPolicy
from coalguard.cloud.referrals.tables import ReferralMessage
from coalguard.cloud.regions import tables as region_tables  # noqa: F401
from coalguard.cloud.sealing import Keyring, keyring_of
from coalguard.cloud.settings import CloudSettings
from coalguard.cloud.subsidies import tables as subsidy_tables  # noqa: F401  (payouts)
from coalguard.cloud.zones import tables as zone_tables  # noqa: F401  (zone lists)
from coalguard.edge.clock import Clock, SystemClock
from coalguard.edge.quality import ProfileSet


def start_background(app: FastAPI) -> None:
    """Start the app's background services (projector, sweeps, notifier, export)."""
    for svc in app.state.background:
        svc.start()


def stop_background(app: FastAPI) -> None:
    """Stop them in reverse order, then close the notification channels."""
    for svc in reversed(app.state.background):
        svc.stop()
    for ch in app.state.channels.values():
        close = getattr(ch, "close", None)
        if close:
            close()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the background services with the server (``cloud serve``); stop them after.
    ``cloud work`` runs the same services without a server."""
    start_background(app)
    try:
        yield
    finally:
        stop_background(app)


def create_app(
    settings: CloudSettings | None = None,
    clock: Clock | None = None,
    *,
    schema: SchemaStart = "require",
    keyring: Keyring | None = None,
) -> FastAPI:
    """The cloud app on one validated ``settings``; every route reads time from ``clock``.

    It refuses a database not at the code's revision. ``schema``: "require"
    (production default), "migrate" (``serve --migrate``), "create"
    (``create_all`` for the embedded demo and tests only). ``keyring``: the sealing
    keys the process checked at start; else the settings' keys (generated ones only
    with "create" or demo settings).
    """
    settings = settings or CloudSettings()
    engine = make_engine(settings.db_url)
    prepare_schema(engine, schema)
    app = FastAPI(title="coalguard cloud", version="1", lifespan=_lifespan)
    app.state.background = []
    clock = clock or SystemClock()  # the process's one clock, passed down to every service
    app.state.clock = clock  # routes: api.deps.ClockDep; tests: ManualClock
    app.state.settings = settings
    app.state.keyring = keyring or keyring_of(
        settings, generated_ok=schema == "create" or settings.demo
    )
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    regions.refresh(app.state.sessions)  # imported region names over the shipped ones
    # CO alarm acknowledgement by the people reached: links and SMS replies (routes/co_ack.py).
    app.state.ack_links = ack_links(settings.co, settings.public_url)
    app.state.directory = ContactDirectory(app.state.keyring)
    app.state.board_streams = OpenStreams()  # the live alarm board's open event streams

    app.state.profiles = ProfileSet.load([settings.profiles_dir] if settings.profiles_dir else [])
    leases = Leases(clock)  # this replica's claims on shared background work
    app.state.metrics = CloudMetrics(app.state.sessions, clock)  # GET /metrics
    # Lab referrals go out through the CO alerts' channels (signed webhook, log; not
    # SMS or voice, which reach a person's phone and are the escalation's).
    app.state.channels = make_channels(settings.co, clock)
    referrals = ReferralPolicy(
        tuple(n for n, ch in app.state.channels.items() if ch.kind not in PHONE_KINDS),
        timedelta(seconds=settings.referral_repeat_s),
    )
    app.state.projector = Projector(
        app.state.sessions,
        app.state.profiles,
        clock,
        claim=projector_claim(leases),
        referrals=referrals,
    )
    app.state.referral_notifier = Notifier(
        app.state.sessions,
        app.state.channels,
        RetryPolicy(settings.co.notify_max_attempts, settings.co.notify_first_backoff_s),
        leases=leases,
        clock=clock,
        model=ReferralMessage,
        name="referral-notifier",
        idle_s=2.0,  # woken after each projection; reminders and retries wait a pass
        loops=app.state.metrics.loops,
    )
    app.state.metrics.watch_notifier(app.state.referral_notifier)
    app.state.profile_sets = app.state.projector.sets  # installed sets (gateways pull the active)
    worker = ChecksWorker(
        app.state.sessions,
        app.state.projector,
        settings.checks_interval_s,
        clock,
        leases,
        loops=app.state.metrics.loops,
    )
    worker.listeners.append(app.state.referral_notifier.wake)  # a case opened: send it now
    app.state.checks_worker = worker
    app.state.checks_kick = worker.kick
    if settings.checks_interval_s > 0:
        app.state.background += [worker, app.state.referral_notifier]

    if settings.influx_url:
        from coalguard.cloud.influx import InfluxExporter
        from coalguard.cloud.influx_write import make_writer

        writer = make_writer(
            settings.influx_api,
            settings.influx_url,
            org=settings.influx_org,
            bucket=settings.influx_bucket,
            token=settings.influx_token,
            db=settings.influx_db,
            rp=settings.influx_rp,
            username=settings.influx_username,
            password=settings.influx_password,
        )
        app.state.influx = InfluxExporter(
            app.state.sessions,
            writer,
            batch_size=settings.influx_batch_size,
            interval_s=settings.influx_interval_s,
            leases=leases,
        )
        app.state.background.append(app.state.influx)

    for router in ROUTERS:
        app.include_router(router)
    audit.install(app)
    problems.install(app)

    declare_refusals(app, ROUTERS)

    return app
