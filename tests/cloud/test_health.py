"""Liveness and readiness apart: a database outage fails ``/readyz`` but never ``/healthz``."""

from __future__ import annotations

import httpx

from coalguard.cloud.api.routes.health import database_down
from coalguard.cloud.db import make_engine
from tests.cloud.ops_support import make_app
from tests.conftest import free_port
from tests.support.servers import PostgresServer, ThreadServer
from tests.support.waiting import wait_for

PROBLEM = "application/problem+json"


def test_cloud_readyz_is_apart_from_healthz(pg_server: PostgresServer) -> None:
    app = make_app(pg_server.new_database())
    with ThreadServer(app) as srv, httpx.Client(base_url=srv.url, timeout=10) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/readyz").json() == {"status": "ok", "database": "ok"}

        pg_server.stop_server()
        try:
            down = http.get("/readyz", headers={"Accept-Language": "en"})
            assert down.status_code == 503
            assert down.headers["content-type"].startswith(PROBLEM)
            assert down.headers["retry-after"] == "5"
            assert "database" in down.json()["detail"]
            assert http.get("/healthz").status_code == 200  # alive while the database is down
        finally:
            pg_server.start_server()
        wait_for(lambda: http.get("/readyz").status_code == 200, 30, "readyz after restart")


def test_readyz_names_an_unreachable_database() -> None:
    engine = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    reason = database_down(engine, timeout_s=5)
    assert reason  # the driver's first line, e.g. "connection ... refused"
