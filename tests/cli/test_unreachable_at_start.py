"""A database or broker nobody answers at start: one worded line and exit 2, never the
53-frame traceback it used to be. The real CLI, as a subprocess, against closed ports
and SQLite paths that cannot be opened."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.conftest import COALGUARD, free_port
from tests.support.gateway import CONFIG, FASTPASS
from tests.support.servers import CLOUD_ENV

ENV = {**CLOUD_ENV, "COALGUARD_LANG": "en"}  # a deployment's own secrets


def one_line(*args: str, lang: str = "en") -> str:
    """Run ``coalguard *args``; assert exit 2 and a single line on stderr; return it."""
    env = {**ENV, "COALGUARD_LANG": lang}
    r = subprocess.run(
        [COALGUARD, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def nobody_pg() -> str:
    return f"postgresql+psycopg://coalguard:s3cret@127.0.0.1:{free_port()}/coalguard"


def test_cloud_serve_with_unreachable_postgresql_says_one_line_not_a_traceback() -> None:
    line = one_line("cloud", "serve", "--db", nobody_pg(), "--port", str(free_port()))
    assert line.startswith("coalguard: error: cannot reach the database postgresql+psycopg://")
    assert "Connection refused" in line
    assert "s3cret" not in line  # the password is masked
    zh = one_line("cloud", "serve", "--db", nobody_pg(), lang="zh")
    assert "无法连接数据库" in zh


def test_cloud_serve_with_unopenable_sqlite_path_says_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("")
    line = one_line("cloud", "serve", "--db", f"sqlite:///{a_file}/cloud.sqlite")
    assert "cannot open the database" in line and str(a_file) in line


def test_cloud_migrate_with_unreachable_postgresql_says_one_line() -> None:
    assert "cannot reach the database" in one_line("cloud", "migrate", "--db", nobody_pg())


def test_co_ingest_with_unreachable_postgresql_says_one_line() -> None:
    with socket.socket() as broker:  # the broker is checked first: one that answers
        broker.bind(("127.0.0.1", 0))
        broker.listen()
        url = f"mqtt://127.0.0.1:{broker.getsockname()[1]}"
        line = one_line("cloud", "co-ingest", "--broker", url, "--db", nobody_pg())
    assert "cannot reach the database" in line


def test_co_ingest_with_unreachable_broker_says_one_line(tmp_path: Path) -> None:
    port = free_port()
    line = one_line(
        "cloud", "co-ingest", "--broker", f"mqtt://ingest:pw@127.0.0.1:{port}",
        "--db", f"sqlite:///{tmp_path}/cloud.sqlite",
    )  # fmt: skip
    assert line == (
        f"coalguard: error: cannot reach the MQTT broker mqtt://127.0.0.1:{port}: "
        "Connection refused"
    )


def test_gateway_run_with_unopenable_database_says_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("")
    cfg = tmp_path / "gateway.toml"
    text = CONFIG.format(port=free_port())
    cfg.write_text(text.replace('data_dir = "data"', f'data_dir = "{a_file}/data"'))
    (tmp_path / "fastpass.toml").write_text(FASTPASS)
    line = one_line("gateway", "run", "--config", str(cfg))
    assert line.startswith(f"coalguard: error: {a_file}/data/gateway.sqlite: cannot open")
