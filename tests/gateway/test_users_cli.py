"""``coalguard gateway users``: accounts from the command line, messages in Chinese."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from coalguard.edge.clock import SystemClock
from coalguard.gateway.accounts import Accounts
from coalguard.gateway.config import load_config
from coalguard.gateway.sessions import Sessions
from coalguard.gateway.store import Store
from tests.conftest import COALGUARD
from tests.gateway.test_process import CONFIG

ENV = {**os.environ, "COALGUARD_LANG": "zh"}


def _users(cfg: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COALGUARD, "gateway", "users", *args, "--config", str(cfg)],
        input=None if password is None else password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )


def test_users_add_list_passwd_disable_role_token(tmp_path: Path) -> None:
    cfg = tmp_path / "gateway.toml"
    cfg.write_text(CONFIG.format(port=8470), encoding="utf-8")
    r = _users(cfg, "add", "wangwu", "--name", "王五", password="first-password")
    assert r.returncode == 0 and "已添加账号 wangwu（值班员）" in r.stdout, r.stderr
    again = _users(cfg, "add", "wangwu", password="first-password")
    assert again.returncode == 2 and "账号 wangwu 已存在" in again.stderr
    short = _users(cfg, "add", "lisi", password="short")
    assert short.returncode == 2 and "密码至少 8 位" in short.stderr
    assert "Traceback" not in again.stderr + short.stderr
    assert (
        _users(cfg, "add", "lead", "--role", "shift_lead", password="lead-password").returncode == 0
    )
    listed = _users(cfg, "list").stdout
    assert "wangwu\t王五\t值班员\t启用" in listed and "lead\tlead\t班长\t启用" in listed

    config = load_config(cfg)
    store = Store(config.db_path)
    try:
        accounts = Accounts(store, SystemClock(), config.auth)
        sessions = Sessions(store, SystemClock(), config.auth, accounts)
        sid, _ = sessions.start(accounts.authenticate("wangwu", "first-password", "test"))
        r = _users(cfg, "passwd", "wangwu", password="second-password")
        assert r.returncode == 0 and "其登录会话已结束" in r.stdout
        assert sessions.get(sid) is None  # a new password ends the old sessions
        assert accounts.authenticate("wangwu", "second-password", "test").username == "wangwu"
        r = _users(cfg, "role", "wangwu", "--role", "shift-lead")
        assert r.returncode == 0 and accounts.get("wangwu").role.name == "shift_lead"
        token = _users(cfg, "token", "wangwu").stdout.strip()
        assert accounts.by_token(token).username == "wangwu"
        assert _users(cfg, "disable", "wangwu").returncode == 0
        assert accounts.by_token(token) is None and accounts.get("wangwu").disabled
        assert "停用" in _users(cfg, "list").stdout
        assert _users(cfg, "enable", "wangwu").returncode == 0
        missing = _users(cfg, "unlock", "nobody")
        assert missing.returncode == 2 and "没有账号 nobody" in missing.stderr
    finally:
        store.close()
