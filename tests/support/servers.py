"""Real servers for outbox/uplink/ingest tests: uvicorn in a thread, ``cloud serve``, PostgreSQL."""

from __future__ import annotations

import base64
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import COALGUARD, free_port
from tests.support.processes import stop_process, wait_for_port
from tests.support.waiting import wait_for

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class ThreadServer:
    """A real uvicorn server for an ASGI app, in a thread of the test process."""

    def __init__(self, app, port: int | None = None, **ssl: str) -> None:  # type: ignore[no-untyped-def]
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
            **ssl,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        scheme = "https" if ssl else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        wait_for(lambda: self.server.started, 15, "uvicorn to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


# A deployment's own secrets: ``cloud serve`` refuses the shipped default outside demo mode,
# and starts only with a sealing key (generated for this test run, never a fixed one).
TEST_SEALING_KEYS = "test1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
CLOUD_ENV = {
    **os.environ,
    "COALGUARD_CO_PHONE_HASH_KEY": "test-deployment-phone-key",
    "COALGUARD_CLOUD_SEALING_KEYS": TEST_SEALING_KEYS,
    "COALGUARD_CO_ACK_LINK_SECRET": "test-deployment-ack-link-key",
}


class CloudProcess:
    """``coalguard cloud serve`` as a real subprocess (stop/start keep the port).

    ``env``: its whole environment (default ``CLOUD_ENV``); ``log``: where its output goes.
    """

    def __init__(
        self,
        db_url: str,
        port: int | None = None,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> None:
        self.db_url = db_url
        self.args = args
        self.env = CLOUD_ENV if env is None else env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = log

    def launch(self) -> CloudProcess:
        """Start without waiting (several replicas start together)."""
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                COALGUARD,
                "cloud",
                "serve",
                "--db",
                self.db_url,
                "--port",
                str(self.port),
                "--migrate",  # each test's database starts empty
                *self.args,
            ],
            stdout=out,
            stderr=out,
            env=self.env,
        )
        if self.log:
            out.close()  # the child holds its own copy
        return self

    def wait_ready(self) -> CloudProcess:
        assert self.proc is not None
        # Four processes (two replicas, two ingests) may start at once on 2 shared cores.
        wait_for_port(self.proc, self.port, 90, "cloud serve")
        return self

    def start(self) -> CloudProcess:
        return self.launch().wait_ready()

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


class CoIngestProcess:
    """``coalguard cloud co-ingest`` as a real subprocess (``args``: its options after
    ``--broker`` and ``--db``, e.g. ``--shared-group``); ``env`` and ``log`` as ``CloudProcess``."""

    def __init__(
        self,
        broker_url: str,
        db_url: str,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> None:
        self.cmd = [COALGUARD, "cloud", "co-ingest", "--broker", broker_url, "--db", db_url, *args]
        self.env = CLOUD_ENV if env is None else env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> CoIngestProcess:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=out, env=self.env)
        if self.log:
            out.close()  # the child holds its own copy
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


def staff_token(db_url: str, role: str = "admin") -> str:
    """An API token of ``role`` for all regions, issued as ``cloud token`` does.

    In this process: a ``coalguard`` process would spend seconds importing the
    cloud for one row (``cloud token`` itself is tested in ``tests/cli``).
    """
    from coalguard.cloud.auth import issue_token
    from coalguard.cloud.db import make_sessionmaker
    from coalguard.cloud.migrate import open_engine
    from coalguard.edge.clock import SystemClock

    engine = open_engine(db_url)
    try:
        return issue_token(
            make_sessionmaker(engine), "prometheus", "", role, now=SystemClock().now()
        )
    finally:
        engine.dispose()


def add_gateway(db_url: str, gateway_id: str, token_file: Path) -> str:
    """Migrate the cloud database, then register a gateway and write its token file
    (mode 600), as ``cloud migrate`` and ``cloud gateway add --token-file`` do.

    In this process, for the same reason as ``staff_token`` (the commands
    themselves are tested in ``tests/cloud/test_cloud_cli.py``).
    """
    from coalguard.cloud.gateways import register_gateway
    from coalguard.cloud.migrate import open_engine, upgrade
    from coalguard.edge.clock import SystemClock

    upgrade(db_url)
    engine = open_engine(db_url)
    try:
        token = register_gateway(engine, gateway_id, now=SystemClock().now())
    finally:
        engine.dispose()
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(token + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    return token


# -- PostgreSQL ---------------------------------------------------------------


class PostgresServer:
    """A throwaway PostgreSQL cluster: initdb in a temp dir, trust auth on 127.0.0.1."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="coalguard-pg-"))
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            pwd.getpwnam("postgres")
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.data = self.dir / "data"
        self._n = 0

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
        self._run(*initdb, "-E", "UTF8", "--no-sync")
        self.start_server()

    def start_server(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -h 127.0.0.1 -F"
        log = str(self.dir / "log")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-t", "60",
                  "-l", log, "start")  # fmt: skip

    def stop_server(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        try:
            self.stop_server()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg

        self._n += 1
        name = f"t{os.getpid()}_{self._n}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    if not (PG_BIN / "initdb").exists():
        msg = "PostgreSQL 15 not installed (apt-get install -y postgresql)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    pg = PostgresServer()
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()
