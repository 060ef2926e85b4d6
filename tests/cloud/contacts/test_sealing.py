"""The sealing keyring: AES-256-GCM with key ids, key files and the environment, worded errors."""

from __future__ import annotations

import base64
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coalguard.cloud.sealing import (
    Keyring,
    SealingError,
    add_key_to_file,
    keys_from_env,
    load_keyring,
    new_key_id,
)
from tests.conftest import COALGUARD

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def _env_key(kid: str) -> str:
    return f"{kid}:" + base64.b64encode(os.urandom(32)).decode()


def test_a_sealed_phone_opens_and_names_its_key() -> None:
    ring = Keyring.generate(hash_key="h")
    sealed = ring.seal("13812345678", "contact.phone_sealed")
    assert sealed.startswith("cg1:generated:") and "13812345678" not in sealed
    assert ring.open(sealed, "contact.phone_sealed") == "13812345678"
    assert ring.seal("13812345678", "contact.phone_sealed") != sealed  # a fresh nonce each time


def test_a_value_sealed_for_one_column_does_not_open_as_another() -> None:
    ring = Keyring.generate(hash_key="h")
    sealed = ring.seal("13812345678", "contact.phone_sealed")
    with pytest.raises(SealingError) as e:
        ring.open(sealed, "contact.name")
    assert e.value.key == "sealed_broken"


def test_an_altered_value_is_refused_in_words() -> None:
    ring = Keyring.generate(hash_key="h")
    sealed = ring.seal("13812345678", "p")
    tampered = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(SealingError) as e:
        ring.open(tampered, "p")
    assert "does not open" in str(e.value) and "无法解密" in e.value.text("zh")


def test_the_newest_key_seals_and_older_keys_still_open(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    first = add_key_to_file(path, new_key_id(T0))
    old = load_keyring(path, None, "h", generated_ok=False)
    sealed_old = old.seal("13912345678", "p")
    second = add_key_to_file(path, new_key_id(T0.replace(hour=9)))
    ring = load_keyring(path, None, "h", generated_ok=False)
    assert list(ring.keys) == [first, second] and ring.current == second
    assert ring.open(sealed_old, "p") == "13912345678"
    assert ring.seal("x", "p").startswith(f"cg1:{second}:")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_keys_from_the_environment_and_a_removed_key_is_named() -> None:
    env = f"{_env_key('a')},{_env_key('b')}"
    ring = load_keyring(None, env, "h", generated_ok=False)
    assert ring.current == "b"
    sealed = ring.seal("13912345678", "p")
    without_b = Keyring(keys_from_env(env.split(",")[0]), "h")
    with pytest.raises(SealingError) as e:
        without_b.open(sealed, "p")
    assert e.value.key == "key_unknown" and "b" in str(e.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("not toml [", "file_format"),
        ("x = 1\n", "file_no_keys"),
        ('[[key]]\nid = "k1"\nsecret = "c2hvcnQ="\n', "key_length"),
        ('[[key]]\nid = "bad id!"\nsecret = "c2hvcnQ="\n', "key_id"),
    ],
)
def test_a_bad_key_file_is_refused_in_words(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(text)
    with pytest.raises(SealingError) as e:
        load_keyring(path, None, "h", generated_ok=False)
    assert e.value.key == key and str(path) in str(e.value)


def test_no_key_is_refused_unless_a_generated_one_is_allowed(tmp_path: Path) -> None:
    with pytest.raises(SealingError) as e:
        load_keyring(None, None, "h", generated_ok=False)
    assert "COALGUARD_CLOUD_SEALING_KEYS" in str(e.value)
    with pytest.raises(SealingError):
        load_keyring(tmp_path / "absent.toml", None, "h", generated_ok=True)
    assert load_keyring(None, None, "h", generated_ok=True).generated


def test_the_keyring_never_prints_its_keys() -> None:
    ring = Keyring.generate(hash_key="secret-hash-key")
    raw = base64.urlsafe_b64encode(ring.keys["generated"]).decode().rstrip("=")
    assert raw not in repr(ring) and "secret-hash-key" not in repr(ring)


def _serve(env: dict[str, str], db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COALGUARD, "cloud", "serve", "--db", db, "--port", "1", "--migrate"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def test_cloud_serve_without_a_sealing_key_stops_with_one_worded_line(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COALGUARD_")}
    env = {
        **base,
        "COALGUARD_CO_PHONE_HASH_KEY": "deployment-key",
        "COALGUARD_CO_ACK_LINK_SECRET": "deployment-ack-key",
        "COALGUARD_LANG": "en",
    }
    r = _serve(env, f"sqlite:///{tmp_path}/c.sqlite")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "no sealing key" in r.stderr and "COALGUARD_CLOUD_SEALING_KEYS" in r.stderr
    bad = tmp_path / "keys.toml"
    bad.write_text('[[key]]\nid = "k1"\nsecret = "too-short"\n')
    r = _serve(
        {**env, "COALGUARD_CLOUD_SEALING_KEY_FILE": str(bad)}, f"sqlite:///{tmp_path}/c.sqlite"
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(bad) in r.stderr and "32 bytes" in r.stderr


def test_the_demo_generates_one_key_file_its_processes_share(tmp_path: Path) -> None:
    from coalguard.cloud.process import start_keyring
    from coalguard.cloud.settings import CloudSettings

    settings = CloudSettings(db_url=f"sqlite:///{tmp_path}/demo.sqlite")
    serve, ingest = (start_keyring(settings, demo=True) for _ in range(2))
    assert serve.keys == ingest.keys and not serve.generated
    assert (tmp_path / "demo.demo-keys.toml").exists()
    with pytest.raises(SealingError):
        start_keyring(settings, demo=False)
