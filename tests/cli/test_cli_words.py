"""What the command line prints to a person is in their language (Chinese by default).

The error line, a data file's file/line/field frame, and the refusal to start
with a shipped secret were English whatever the operator's language.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.conftest import COALGUARD

CJK = re.compile(r"[\u4e00-\u9fff]")
# Not a COALGUARD_ setting: no secret, the default language (Chinese).
PLAIN = {k: v for k, v in os.environ.items() if not k.startswith("COALGUARD_")}


def _run(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**PLAIN, **({"COALGUARD_LANG": lang} if lang else {})}
    return subprocess.run([COALGUARD, *args], capture_output=True, text=True, timeout=60, env=env)


def test_shipped_secret_refusal_is_in_the_operators_language(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    r = _run("cloud", "serve", "--db", db, "--port", "1")
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    # was: coalguard: error: refusing to start: phone_hash_key (...) is the shipped default ...
    assert line.startswith("coalguard：错误：拒绝启动") and "COALGUARD_CO_PHONE_HASH_KEY" in line
    assert "refusing" not in line and "shipped default" not in line
    r = _run("cloud", "serve", "--db", db, "--port", "1", lang="en")
    assert r.stderr.startswith("coalguard: error: refusing to start: phone_hash_key")


def test_data_file_error_frame_is_in_the_operators_language(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "bad.toml").write_text('id = "x"\nversion = 1\nbogus = \n', encoding="utf-8")
    r = _run("profiles", "list", "--profiles", str(profiles))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    # was: coalguard: error: .../bad.toml, line 3: TOML syntax: Invalid value
    assert line.startswith("coalguard：错误：") and "bad.toml 第 3 行：TOML 语法错误" in line
    assert "line 3" not in line and "Invalid value" not in line
    r = _run("profiles", "list", "--profiles", str(profiles), lang="en")
    assert "bad.toml, line 3: TOML syntax: Invalid value" in r.stderr


def test_cloud_user_refusal_is_in_the_operators_language(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert _run("cloud", "migrate", "--db", db).returncode == 0
    r = _run("cloud", "users", "add", "bad", "--role", "king", "--db", db)
    assert r.returncode == 2
    # was: coalguard: error: unknown role 'king'; use one of admin, operator, installer, gateway
    assert r.stderr.startswith("coalguard：错误：未知角色 king") and "unknown role" not in r.stderr


def test_gateway_config_error_is_in_the_operators_language(tmp_path: Path) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(
        '[checkpoint]\nid = "cp-1"\nname = "测试站"\nregion_code = "130100"\n'
        'jurisdiction = "hebei-2022"\n\n[http]\ncamera_token = "cam-token-for-tests"\n\n'
        + "".join(f'[[camera]]\nid = "c{i}"\nname = "{i}号"\n\n' for i in (1, 2, 3))
        + '[[analyzer]]\nid = "a1"\nmodel = "generic-tcp-int16"\ntransport = "tcp"\n',
        encoding="utf-8",
    )
    r = _run("gateway", "check-config", "--config", str(config))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    # was: coalguard：错误：.../gw.toml ... 'analyzer.0'：值无效：a tcp analyzer needs host
    assert line.startswith("coalguard：错误：") and "tcp 方式连接的化验仪必须给出 host" in line
    assert "值无效" not in line and "needs host" not in line
    r = _run("gateway", "check-config", "--config", str(config), "--lang", "en")
    assert r.returncode == 2
    assert "field 'analyzer.0': a tcp analyzer needs host" in r.stderr
    assert not CJK.search(r.stderr.replace("测试站", ""))


def test_cloud_cli_argument_refusal_is_in_the_operators_language(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    r = _run("cloud", "report", "daily", "--region", "130100", "--db", db, "--format", "pdf")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    # was: coalguard：错误：--format 'pdf': use html, csv or json
    assert "请用 html、csv 或 json" in r.stderr and "use html" not in r.stderr
    r = _run(
        "cloud", "report", "daily", "--region", "130100", "--db", db, "--format", "pdf", lang="en"
    )
    assert "--format 'pdf': use html, csv or json" in r.stderr
