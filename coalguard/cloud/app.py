"""Composition root of the cloud process: ``create_app(settings) -> FastAPI``.

Route modules stay thin and each exposes ``router``; storage and rules live
apart from routes. Each capability adds its router to ``_ROUTERS``.
"""

from __future__ import annotations

from fastapi import FastAPI

from coalguard.cloud import (
    audit,
    auth,  # noqa: F401  (user and token tables)
    batches,
    users_api,
)
from coalguard.cloud.co import api as co_api
from coalguard.cloud.co import tables as co_tables  # noqa: F401  (CO alarm tables)
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.settings import CloudSettings

_ROUTERS = (batches.router, co_api.router, users_api.router)


def create_app(settings: CloudSettings | None = None) -> FastAPI:
    settings = settings or CloudSettings()
    engine = make_engine(settings.db_url)
    create_schema(engine)
    app = FastAPI(title="coalguard cloud", version="1")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)

    for router in _ROUTERS:
        app.include_router(router)
    audit.install(app)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
