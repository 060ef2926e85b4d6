"""A real InfluxDB 1.x (Debian's ``influxdb``) for the export tests.

``influxd`` runs on 127.0.0.1 with its own temp directory and free ports for
every listener it has (HTTP, and the RPC port used by backup/restore), with
usage reporting off; the fixture waits for ``/ping`` and creates the database.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port, require_binary
from tests.support.processes import stop_process
from tests.support.waiting import wait_for

DB = "coalguard"


def _config(dir_: Path, http_port: int, rpc_port: int, auth: bool) -> str:
    return f"""reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{dir_ / "meta"}"

[data]
  dir = "{dir_ / "data"}"
  wal-dir = "{dir_ / "wal"}"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
  auth-enabled = {"true" if auth else "false"}

[monitor]
  store-enabled = false
"""


class InfluxServer:
    """``influxd`` with a config of its own; ``url`` once started.

    ``user``: with auth on, an admin of that name and ``password`` (every request needs it).
    """

    password = "influx-test-password"

    def __init__(self, user: str | None = None) -> None:
        self.user = user
        self.binary = require_binary("influxd", "influxdb")
        self.dir = Path(tempfile.mkdtemp(prefix="coalguard-influx-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        conf = self.dir / "influxdb.conf"
        conf.write_text(_config(self.dir, self.port, free_port(), self.user is not None))
        log = open(self.dir / "influxd.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([self.binary, "-config", str(conf)], stdout=log, stderr=log)
        log.close()

        def pinged() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"influxd exited: {(self.dir / 'influxd.log').read_text()}")
            try:
                return httpx.get(f"{self.url}/ping", timeout=1).status_code == 204
            except httpx.HTTPError:
                return False

        wait_for(pinged, 30, "influxd to answer /ping")
        if self.user:  # the first user may be made without credentials, and must be an admin
            user, self.user = self.user, None
            self.query(
                f"CREATE USER \"{user}\" WITH PASSWORD '{self.password}' WITH ALL PRIVILEGES",
                method="POST",
            )
            self.user = user
        self.query(f'CREATE DATABASE "{DB}"', method="POST")

    def query(self, q: str, *, method: str = "GET", db: str = DB) -> list[dict[str, Any]]:
        """The statement's series (``results[0].series``; [] when none)."""
        auth = (self.user, self.password) if self.user else None
        r = httpx.request(
            method,
            f"{self.url}/query",
            params={"q": q, "db": db, "epoch": "ns"},
            auth=auth,
            timeout=30,
        )
        r.raise_for_status()
        result = r.json()["results"][0]
        if "error" in result:
            raise AssertionError(f"{q}: {result['error']}")
        return result.get("series", [])

    def rows_in(self, db: str, q: str) -> list[dict[str, Any]]:
        """Each row of the first series as a dict of its columns (tags as columns)."""
        series = self.query(q, db=db)
        if not series:
            return []
        cols = series[0]["columns"]
        return [dict(zip(cols, v, strict=True)) for v in series[0]["values"]]

    def stop(self) -> None:
        try:
            stop_process(self.proc)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def influx_server(user: str | None = None) -> Iterator[InfluxServer]:
    server = InfluxServer(user)
    try:
        server.start()
        yield server
    finally:
        server.stop()
