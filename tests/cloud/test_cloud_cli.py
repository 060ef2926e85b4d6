"""``coalguard cloud gateway …`` and ``cloud serve`` argument errors, through the real CLI."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from coalguard.cloud.db import make_engine
from coalguard.cloud.gateways import authenticate
from tests.conftest import COALGUARD
from tests.support.servers import CLOUD_ENV, CloudProcess

pytestmark = pytest.mark.timeout(120)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COALGUARD, *args], capture_output=True, text=True, timeout=60)


def test_gateway_lifecycle(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/c.sqlite"
    assert cli("cloud", "migrate", "--db", db).returncode == 0
    added = cli("cloud", "gateway", "add", "gw-north-01", "--name", "北口检查站", "--db", db)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert len(token) >= 40
    engine = make_engine(db)
    assert authenticate(engine, "gw-north-01", token)
    assert not authenticate(engine, "gw-north-01", token + "x")
    # only a hash is stored
    raw = (
        sqlite3.connect(tmp_path / "c.sqlite").execute("SELECT token_hash FROM gateways").fetchall()
    )
    assert token not in str(raw) and raw[0][0].startswith("sha256:")

    again = cli("cloud", "gateway", "add", "gw-north-01", "--db", db)
    assert again.returncode == 2
    assert (
        again.stderr.count("\n") == 1 and "已经登记" in again.stderr
    )  # Chinese by default (issue 11)

    token_file = tmp_path / "secret" / "gw.token"
    rotated = cli("cloud", "gateway", "rotate-token", "gw-north-01", "--db", db,
                  "--token-file", str(token_file))  # fmt: skip
    assert rotated.returncode == 0 and rotated.stdout == ""
    new = token_file.read_text().strip()
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert authenticate(engine, "gw-north-01", new)
    assert not authenticate(engine, "gw-north-01", token)  # the old token stops working

    listed = cli("cloud", "gateway", "list", "--db", db)
    assert "gw-north-01\t启用\t北口检查站" in listed.stdout and new not in listed.stdout

    assert cli("cloud", "gateway", "disable", "gw-north-01", "--db", db).returncode == 0
    assert not authenticate(engine, "gw-north-01", new)
    assert "停用" in cli("cloud", "gateway", "list", "--db", db).stdout
    listed = cli("cloud", "gateway", "list", "--db", db, "--lang", "en").stdout
    assert "gw-north-01\tdisabled\t北口检查站" in listed
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["cloud", "gateway", "add", "x"], "3-64 个字符"),
        (["cloud", "gateway", "add", "bad id!"], "3-64 个字符"),
        (["cloud", "gateway", "rotate-token", "gw-none"], "尚未登记"),
        (["cloud", "gateway", "disable", "gw-none"], "尚未登记"),
        (["cloud", "serve", "--ssl-certfile", "c.pem"], "go together"),
    ],
)
def test_operator_errors_are_one_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    db = f"sqlite:///{tmp_path}/c.sqlite"
    assert cli("cloud", "migrate", "--db", db).returncode == 0
    out = cli(*args, "--db", db)
    assert out.returncode == 2
    assert fragment in out.stderr and "Traceback" not in out.stderr


def test_serve_refuses_a_database_behind_the_code(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/c.sqlite"
    assert cli("cloud", "migrate", "--db", db, "--revision", "0004").returncode == 0
    env = {**CLOUD_ENV}
    for command in (["cloud", "serve", "--port", "1"], ["cloud", "gateway", "list"]):
        out = subprocess.run(
            [COALGUARD, *command, "--db", db], capture_output=True, text=True, timeout=60, env=env
        )
        assert out.returncode == 2, out.stderr
        (line,) = out.stderr.strip().splitlines()
        assert "at revision 0004" in line and "run `coalguard cloud migrate`" in line
    # ``serve --migrate`` migrates explicitly, then serves.
    CloudProcess(db).start().stop()
    assert cli("cloud", "gateway", "list", "--db", db).returncode == 0
