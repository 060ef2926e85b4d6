"""Key rotation: add a key, ``coalguard cloud keys rotate`` re-seals in batches, resumable."""

from __future__ import annotations

import os
import signal
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from coalguard.cloud.contacts.directory import ContactIn, add_contact, open_phone
from coalguard.cloud.contacts.tables import Contact
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.sealing import load_keyring
from tests.conftest import COALGUARD
from tests.support.waiting import wait_for

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
VILLAGE = "130102001001"


def _cli(*args: str, key_file: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COALGUARD_CLOUD_SEALING_KEY_FILE": str(key_file), "COALGUARD_LANG": "en"}
    return subprocess.run(
        [COALGUARD, "cloud", *args], capture_output=True, text=True, timeout=120, env=env
    )


def _directory(tmp_path: Path, rows: int) -> tuple[str, sessionmaker, Path]:
    url = f"sqlite:///{tmp_path}/cloud.sqlite"
    engine = make_engine(url)
    create_schema(engine, for_tests_or_demo=True)
    sessions = make_sessionmaker(engine)
    key_file = tmp_path / "keys.toml"
    assert _cli("keys", "new", "--file", str(key_file), key_file=key_file).returncode == 0
    ring = load_keyring(key_file, None, "h", generated_ok=False)
    with sessions.begin() as s:
        for n in range(rows):
            person = ContactIn(
                role="grid_worker", region_code=VILLAGE, name=f"网格员{n}", phone=f"137{n:08d}"
            )
            add_contact(s, ring, person, T0)
    return url, sessions, key_file


def _on_key(sessions: sessionmaker, kid: str) -> int:
    with sessions() as s:
        q = select(func.count()).where(Contact.phone_sealed.like(f"cg1:{kid}:%"))
        return s.scalar(q) or 0


def _only_newest_key(key_file: Path) -> None:
    newest = tomllib.loads(key_file.read_text())["key"][-1]
    key_file.write_text(f'[[key]]\nid = "{newest["id"]}"\nsecret = "{newest["secret"]}"\n')


def _all_open(sessions: sessionmaker, key_file: Path, rows: int) -> None:
    ring = load_keyring(key_file, None, "h", generated_ok=False)
    with sessions() as s:
        phones = sorted(open_phone(c, ring) for c in s.scalars(select(Contact)))
    assert phones == [f"137{n:08d}" for n in range(rows)]


def test_rotation_reseals_every_row_and_the_old_key_can_go(tmp_path: Path) -> None:
    url, sessions, key_file = _directory(tmp_path, 23)
    r = _cli("keys", "new", "--file", str(key_file), key_file=key_file)
    assert r.returncode == 0 and "seals from the next start" in r.stdout
    new = tomllib.loads(key_file.read_text())["key"][-1]["id"]
    r = _cli("keys", "rotate", "--db", url, "--batch", "5", key_file=key_file)
    assert r.returncode == 0, r.stderr
    assert f"rotation to key {new}: 23 row(s) re-sealed; rows still on older keys: 0" in r.stdout
    assert _on_key(sessions, new) == 23
    _only_newest_key(key_file)
    _all_open(sessions, key_file, 23)
    again = _cli("keys", "rotate", "--db", url, key_file=key_file)
    assert "0 row(s) re-sealed; rows still on older keys: 0" in again.stdout  # idempotent


def test_a_killed_rotation_carries_on_where_it_stopped(tmp_path: Path) -> None:
    rows = 400
    url, sessions, key_file = _directory(tmp_path, rows)
    _cli("keys", "new", "--file", str(key_file), key_file=key_file)
    new = tomllib.loads(key_file.read_text())["key"][-1]["id"]
    env = {**os.environ, "COALGUARD_CLOUD_SEALING_KEY_FILE": str(key_file)}
    proc = subprocess.Popen(
        [COALGUARD, "cloud", "keys", "rotate", "--db", url, "--batch", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        wait_for(lambda: _on_key(sessions, new) > 0 or proc.poll() is not None, 60, "a batch")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    done = _on_key(sessions, new)
    assert 0 < done <= rows
    r = _cli("keys", "rotate", "--db", url, "--batch", "50", key_file=key_file)
    assert f"{rows - done} row(s) re-sealed; rows still on older keys: 0" in r.stdout
    _only_newest_key(key_file)
    _all_open(sessions, key_file, rows)


def test_rotation_without_a_key_stops_with_one_worded_line(tmp_path: Path) -> None:
    url, _sessions, _key_file = _directory(tmp_path, 1)
    r = _cli("keys", "rotate", "--db", url, key_file=tmp_path / "absent.toml")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "absent.toml does not exist" in r.stderr
