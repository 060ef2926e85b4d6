"""Local operator accounts: argon2 password hashes, roles, lockout, API tokens.

The checkpoint PC has its own accounts so that it works with the uplink down.
Passwords are kept only as argon2id hashes. Failed sign-ins are counted per
account and per client address over ``[auth] lockout_minutes``; at the limit
further attempts are refused without looking at the password until the
window has passed (so guessing is slow from one machine, and one account
cannot be guessed from many). A per-user API token (stored as its SHA-256)
lets scripts act as that user without a browser session.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from coalguard.edge.clock import Clock
from coalguard.gateway.config import Auth
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.roles import Role
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso

log = logging.getLogger("coalguard.gateway.accounts")
SIGN_IN_OUTCOMES = ("ok", "bad_credentials", "locked_account", "locked_client", "disabled")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{1,31}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "cgu_"


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: Role
    disabled: bool

    @property
    def operator(self) -> str:
        """How the person is named in steps and ledgers: readable and unambiguous."""
        return f"{self.display_name} ({self.username})"


class AccountError(GatewayError):
    """An account or sign-in is refused; ``key`` names a ``gw_auth`` message."""

    section = "gw_auth"


class LoginRefused(AccountError):
    """Sign-in refused (a wrong name and a wrong password read the same)."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    def __init__(
        self, store: Store, clock: Clock, auth: Auth, hasher: PasswordHasher | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.auth = auth
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None  # hashed once, on the first unknown name
        self.sign_ins = dict.fromkeys(SIGN_IN_OUTCOMES, 0)  # this process, for /metrics

    # -- management (CLI, admin) ---------------------------------------------------

    def add(self, username: str, password: str, role: Role, display_name: str = "") -> User:
        if not USERNAME.match(username):
            raise AccountError("bad_username", username=username)
        self._check_password(password)
        if self.get(username) is not None:
            raise AccountError("user_exists", username=username)
        with self.store.tx() as db:
            db.execute(
                "INSERT INTO users(username, display_name, role, password_hash, created_at) "
                "VALUES (?,?,?,?,?)",
                (
                    username,
                    display_name.strip() or username,
                    role.name,
                    self.hasher.hash(password),
                    iso(self.clock.now()),
                ),
            )
        return self._must(username)

    def all(self) -> list[User]:
        rows = self.store.rows("SELECT * FROM users ORDER BY username")
        return [self._user(r) for r in rows]

    def get(self, username: str) -> User | None:
        row = self.store.row("SELECT * FROM users WHERE username = ?", (username,))
        return self._user(row) if row else None

    def set_password(self, username: str, password: str) -> None:
        self._must(username)
        self._check_password(password)
        with self.store.tx() as db:
            db.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?",
                (self.hasher.hash(password), username),
            )
            db.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def set_disabled(self, username: str, disabled: bool) -> None:
        self._must(username)
        with self.store.tx() as db:
            db.execute(
                "UPDATE users SET disabled = ? WHERE username = ?", (int(disabled), username)
            )
            if disabled:
                db.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def set_role(self, username: str, role: Role) -> None:
        self._must(username)
        with self.store.tx() as db:
            db.execute("UPDATE users SET role = ? WHERE username = ?", (role.name, username))

    def unlock(self, username: str) -> int:
        """Forget the account's failed sign-ins (an admin after checking who it was)."""
        self._must(username)
        with self.store.tx() as db:
            return db.execute(
                "DELETE FROM login_failures WHERE key = ?", (f"user:{username}",)
            ).rowcount

    def issue_token(self, username: str) -> str:
        """A new API token for scripts (replaces the old one); shown once, stored hashed."""
        self._must(username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.tx() as db:
            db.execute(
                "UPDATE users SET api_token_hash = ? WHERE username = ?",
                (_token_hash(token), username),
            )
        return token

    # -- sign-in -------------------------------------------------------------------

    def authenticate(self, username: str, password: str, client: str) -> User:
        """The user, or ``LoginRefused``. Every failure is counted per account and client."""
        try:
            user = self._authenticate(username, password, client)
        except LoginRefused as exc:
            self.sign_ins[exc.key] += 1
            log.warning("sign-in refused for %r from %s: %s", username[:64], client, exc.key)
            raise
        self.sign_ins["ok"] += 1
        log.info("signed in: %s from %s", user.username, client)
        return user

    def _authenticate(self, username: str, password: str, client: str) -> User:
        now = self.clock.now()
        since = iso(now - timedelta(minutes=self.auth.lockout_minutes))
        keys = (f"user:{username[:64]}", f"client:{client[:64]}")
        if self._failures(keys[1], since) >= self.auth.max_failures_client:
            raise LoginRefused("locked_client", minutes=self.auth.lockout_minutes)
        if self._failures(keys[0], since) >= self.auth.max_failures_account:
            raise LoginRefused("locked_account", minutes=self.auth.lockout_minutes)
        row = self.store.row("SELECT password_hash FROM users WHERE username = ?", (username,))
        if row is None and self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_hex(8))
        # an unknown name costs the same work as a known one
        ok = self._verify(row["password_hash"] if row else self._dummy or "", password) and row
        if not ok:
            with self.store.tx() as db:
                db.executemany(
                    "INSERT INTO login_failures(key, at) VALUES (?, ?)",
                    [(k, iso(now)) for k in keys],
                )
                db.execute("DELETE FROM login_failures WHERE at < ?", (since,))
            raise LoginRefused("bad_credentials")
        user = self._must(username)
        if user.disabled:
            raise LoginRefused("disabled")
        with self.store.tx() as db:
            db.execute("DELETE FROM login_failures WHERE key = ?", (keys[0],))
        return user

    def by_token(self, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        row = self.store.row(
            "SELECT * FROM users WHERE api_token_hash = ? AND disabled = 0", (_token_hash(token),)
        )
        return self._user(row) if row else None

    # -- helpers ---------------------------------------------------------------------

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def _failures(self, key: str, since: str) -> int:
        return int(
            self.store.scalar(
                "SELECT COUNT(*) FROM login_failures WHERE key = ? AND at >= ?", (key, since)
            )
            or 0
        )

    def _check_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError("password_too_short", n=MIN_PASSWORD)

    def _must(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise AccountError("no_such_user", username=username)
        return user

    @staticmethod
    def _user(r: sqlite3.Row) -> User:
        return User(r["username"], r["display_name"], Role[r["role"]], bool(r["disabled"]))
