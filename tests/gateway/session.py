"""Signing in to the gateway from tests and scripts: one helper for every HTTP client.

``add_user`` writes an account straight into a gateway database (a ``Store``
or the path of ``gateway.sqlite``; the running process sees it at once).
``sign_in`` logs an ``httpx.Client`` (FastAPI's ``TestClient`` is one) in
through ``POST /login`` and sets the two headers every write needs: the
session's ``X-CSRF-Token`` and an ``Origin`` naming the gateway. After that,
plain ``client.post("/ui/...", data=...)`` calls are accepted as that user.
``logged_in_client`` does both for a gateway started on ``base_url``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from coalguard.edge.clock import SystemClock
from coalguard.gateway.accounts import Accounts, User
from coalguard.gateway.config import Auth
from coalguard.gateway.roles import Role
from coalguard.gateway.store import Store
from tests.support.waiting import wait_for

PASSWORD = "test-password-1"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)  # tests only


def add_user(
    db: Store | Path | str,
    username: str = "wangwu",
    role: Role | str = Role.operator,
    display_name: str = "王五",
    password: str = PASSWORD,
) -> User:
    """Create an account in a gateway database (a ``Store`` or a path to its file)."""
    role = Role.parse(role) if isinstance(role, str) else role
    store = db if isinstance(db, Store) else Store(db)
    try:
        return Accounts(store, SystemClock(), Auth(), FAST_HASHER).add(
            username, password, role, display_name
        )
    finally:
        if store is not db:
            store.close()


def sign_in(client: httpx.Client, username: str = "wangwu", password: str = PASSWORD) -> str:
    """Log ``client`` in; returns the CSRF token (also set as a default header)."""
    origin = str(client.base_url).rstrip("/")
    r = client.post(
        "/login",
        data={"username": username, "password": password},
        headers={"Origin": origin},
        follow_redirects=False,
    )
    assert r.status_code == 303, f"sign-in as {username} refused: {r.status_code} {r.text[:300]}"
    csrf = client.get("/api/v1/session").json()["csrf"]
    client.headers.update({"X-CSRF-Token": csrf, "Origin": origin})
    return csrf


@contextmanager
def logged_in_client(
    base_url: str,
    db: Store | Path | str | None = None,
    username: str = "wangwu",
    role: Role | str = Role.operator,
    password: str = PASSWORD,
    **client_args: Any,
) -> Iterator[httpx.Client]:
    """``with logged_in_client(base, db) as c:`` an ``httpx.Client`` signed in as ``username``.

    With ``db`` the account is created first (operator 王五 by default); without it,
    it must exist. For a long-lived client, make one and call ``sign_in`` instead.
    """
    if db is not None:
        add_user(db, username, role, password=password)
    with httpx.Client(base_url=base_url, follow_redirects=True, **client_args) as client:
        sign_in(client, username, password)
        yield client


def submit_login_form(b: Any, username: str, password: str = PASSWORD) -> None:
    """Fill and send the login form on the page ``b`` (a ``tests.gateway.cdp.Browser``) shows."""
    b.eval(
        f"document.querySelector('#username').value = {json.dumps(username)};"
        f"document.querySelector('#password').value = {json.dumps(password)};"
        "document.querySelector('#form-login button').click();"
    )


def browser_sign_in(b: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the operator page."""
    submit_login_form(b, username, password)
    wait_for(
        lambda: b.eval("!!document.querySelector('#who')") is True,
        timeout=20,
        what="the operator page after sign-in",
        retry_errors=True,
    )


def browser_switch_to_english(b: Any) -> None:
    """The page's own language switch (the account's setting: every page follows)."""
    b.eval("document.querySelector('#lang-en').click()")
    wait_for(
        lambda: (
            b.eval("document.documentElement.lang") == "en"
            and b.eval("document.readyState") == "complete"
        ),
        timeout=20,
        what="the English page",
        retry_errors=True,
    )
