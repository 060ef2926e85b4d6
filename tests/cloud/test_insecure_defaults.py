"""Insecure defaults: shipped secrets, the dashboard cookie, a TLS-terminating proxy.

Processes are real (``coalguard cloud serve`` / ``co-ingest`` as subprocesses)
where the behaviour belongs to the process: refusing to start, trusting a proxy.
"""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from coalguard.cloud.auth import issue_token
from coalguard.cloud.login_sessions import COOKIE
from coalguard.edge.clock import ManualClock, SystemClock
from coalguard.edge.model import utcnow
from tests.cloud.ops_support import bearer, client, make_app
from tests.conftest import COALGUARD
from tests.support.servers import CLOUD_ENV, CloudProcess

pytestmark = pytest.mark.timeout(120)
NO_SECRETS = {k: v for k, v in os.environ.items() if not k.startswith("COALGUARD_")}


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COALGUARD, *args], capture_output=True, text=True, timeout=60, env=env)


def test_cloud_serve_refuses_to_start_with_the_default_phone_hash_key(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    r = _run("cloud", "serve", "--db", db, "--port", "1", env=NO_SECRETS)
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert "phone_hash_key" in line and "COALGUARD_CO_PHONE_HASH_KEY" in line
    assert "Traceback" not in r.stderr
    # Demo mode may use it; a deployment's own key starts too.
    demo = CloudProcess(db, args=("--demo",), env=NO_SECRETS).start()
    demo.stop()
    CloudProcess(db).start().stop()


def test_cloud_serve_refuses_the_shipped_acknowledgement_link_key(tmp_path: Path) -> None:
    """A link signed with a key everyone knows would let anyone acknowledge a CO alarm."""
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    env = {k: v for k, v in CLOUD_ENV.items() if k != "COALGUARD_CO_ACK_LINK_SECRET"}
    r = _run("cloud", "serve", "--db", db, "--port", "1", env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert "ack_link_secret" in line and "COALGUARD_CO_ACK_LINK_SECRET" in line


def test_co_ingest_refuses_to_start_with_the_default_webhook_secret(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    args = ("cloud", "co-ingest", "--broker", "mqtt://127.0.0.1:1", "--db", db)
    hook = ("--webhook-url", "https://alerts.example/hook")
    r = _run(*args, *hook, env=NO_SECRETS)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert "webhook_secret" in line and "COALGUARD_CO_WEBHOOK_SECRET" in line
    r = _run(*args, "--http", "127.0.0.1:1", env=NO_SECRETS)
    assert r.returncode == 2 and "COALGUARD_CO_PHONE_HASH_KEY" in r.stderr


def test_dashboard_cookie_holds_a_session_that_logout_ends(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    token = issue_token(app.state.sessions, "desk", "130102", "operator", now=SystemClock().now())
    c = client(app)
    r = c.post("/api/v1/auth/login", json={"token": token})
    assert r.status_code == 200
    sid = c.cookies[COOKIE]
    assert token not in r.headers["set-cookie"] and sid.startswith("cgs_")
    with app.state.engine.connect() as conn:
        stored = " ".join(
            str(row) for row in conn.execute(text("SELECT * FROM cloud_login_session"))
        )
    assert sid not in stored and token not in stored and stored
    assert c.get("/api/v1/auth/me").json()["name"] == "desk"
    assert c.post("/api/v1/auth/logout", headers={"X-CG-CSRF": "1"}).status_code == 200
    # The old cookie, replayed, is worth nothing: the session ended on the server.
    replay = client(app)
    replay.cookies.set(COOKIE, sid)
    assert replay.get("/api/v1/auth/me").status_code == 401
    assert replay.get("/", follow_redirects=False).headers["location"] == "/login"
    # The token itself still works as a bearer.
    assert replay.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200


def test_dashboard_session_expires_when_idle_and_absolutely(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    token = issue_token(app.state.sessions, "desk", "130102", "operator", now=SystemClock().now())
    clock = app.state.clock = ManualClock(utcnow())
    idle = timedelta(seconds=app.state.settings.session_idle_s)
    absolute = timedelta(seconds=app.state.settings.session_max_s)

    def login():  # type: ignore[no-untyped-def]
        c = client(app)
        assert c.post("/api/v1/auth/login", json={"token": token}).status_code == 200
        return c

    c = login()
    clock.advance(idle - timedelta(minutes=1))
    assert c.get("/api/v1/auth/me").status_code == 200  # activity keeps it alive
    clock.advance(idle)
    assert c.get("/api/v1/auth/me").status_code == 401  # idle too long

    c = login()
    started = clock.now()
    while clock.now() - started < absolute - idle / 2:  # busy all day
        clock.advance(idle / 2)
        assert c.get("/api/v1/auth/me").status_code == 200
    clock.set(started + absolute)
    assert c.get("/api/v1/auth/me").status_code == 401  # absolute limit

    c = login()
    admin = issue_token(app.state.sessions, "root", "", "admin", now=SystemClock().now())
    assert c.post("/api/v1/users/desk/revoke", headers=bearer(admin)).status_code == 200
    assert c.get("/api/v1/auth/me").status_code == 401  # revoking the user ends its sessions


def _bad_logins(url: str, forwarded_for: str, n: int) -> list[int]:
    return [
        httpx.post(
            f"{url}/api/v1/auth/login",
            json={"token": f"cgt_guess-{i:04d}"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for i in range(n)
    ]


def test_login_rate_limit_keys_on_the_client_behind_a_trusted_proxy(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert _run("cloud", "migrate", "--db", db, env=CLOUD_ENV).returncode == 0
    r = _run("cloud", "users", "add", "desk", "--region", "130102", "--db", db, env=CLOUD_ENV)
    token = r.stdout.strip().splitlines()[-1]
    proxied = CloudProcess(db, args=("--forwarded-allow-ips", "127.0.0.1")).start()
    direct = CloudProcess(db).start()
    try:
        # Behind the trusted proxy: two clients, two buckets.
        assert _bad_logins(proxied.url, "203.0.113.1", 11)[-1] == 429
        assert _bad_logins(proxied.url, "203.0.113.2", 1) == [401]
        ok = httpx.post(
            f"{proxied.url}/api/v1/auth/login",
            json={"token": token},
            headers={"X-Forwarded-For": "203.0.113.3", "X-Forwarded-Proto": "https"},
        )
        assert ok.status_code == 200 and "secure" in ok.headers["set-cookie"].lower()
        # Not a trusted proxy: the headers are ignored, the TCP peer is the client.
        plain = httpx.post(
            f"{direct.url}/api/v1/auth/login",
            json={"token": token},
            headers={"X-Forwarded-For": "203.0.113.3", "X-Forwarded-Proto": "https"},
        )
        assert plain.status_code == 200 and "secure" not in plain.headers["set-cookie"].lower()
        assert _bad_logins(direct.url, "203.0.113.1", 9)[-1] == 401
        assert _bad_logins(direct.url, "203.0.113.2", 1) == [429]  # one bucket for everyone
    finally:
        proxied.stop()
        direct.stop()
    app = make_app(db)
    admin = issue_token(app.state.sessions, "root", "", "admin", now=SystemClock().now())
    log = client(app).get("/api/v1/audit", headers=bearer(admin)).json()
    clients = {e["client"] for e in log if e["action"] == "POST /api/v1/auth/login"}
    assert {"203.0.113.1", "203.0.113.2", "203.0.113.3", "127.0.0.1"} <= clients
