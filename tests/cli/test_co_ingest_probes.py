"""``co-ingest --metrics`` also answers ``/healthz`` (alive) and ``/readyz`` (database and
broker reachable; else 503 problem+json naming which): a real process, broker and PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.support.mosquitto import Mosquitto
from tests.support.servers import CLOUD_ENV, PostgresServer, postgres_server
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(150)


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5, headers={"Accept-Language": "en"})
    except httpx.HTTPError:
        return None


def _status(url: str, code: int) -> httpx.Response | None:
    r = _get(url)
    return r if r is not None and r.status_code == code else None


def test_co_ingest_readyz_names_the_broker_then_the_database_when_down(
    coalguard_cmd: str, tmp_path: Path
) -> None:
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b").start()
    pg: PostgresServer
    with postgres_server() as pg:
        db = pg.new_database()
        port = free_port()
        proc = subprocess.Popen(
            [coalguard_cmd, "cloud", "co-ingest", "--broker", broker.url(), "--db", db,
             "--migrate", "--metrics", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**CLOUD_ENV, "COALGUARD_CO_RECONNECT_MAX_S": "1"},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            ready = wait_for(lambda: _status(f"{base}/readyz", 200), 60, "co-ingest ready")
            assert ready.json() == {"status": "ok", "database": "ok", "broker": "ok"}
            assert _status(f"{base}/healthz", 200).json() == {"status": "ok"}  # type: ignore[union-attr]
            assert "coalguard_co_ingest_received_total" in httpx.get(f"{base}/metrics").text

            broker.stop()
            down = wait_for(lambda: _status(f"{base}/readyz", 503), 30, "not ready: broker")
            assert down.headers["content-type"] == "application/problem+json"
            assert down.headers["retry-after"] == "5"
            body = down.json()
            assert (
                body["status"] == 503 and body["type"] == "urn:coalguard:problem:health.not_ready"
            )
            assert body["detail"].startswith("Not ready: the broker is unreachable"), body
            assert _status(f"{base}/healthz", 200)  # alive all the same

            broker.start()
            wait_for(lambda: _status(f"{base}/readyz", 200), 60, "ready again after the broker")

            pg.stop_server()
            down = wait_for(lambda: _status(f"{base}/readyz", 503), 30, "not ready: database")
            assert down.json()["detail"].startswith("Not ready: the database is unreachable")
            assert _status(f"{base}/healthz", 200)
            pg.start_server()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
            broker.stop()
