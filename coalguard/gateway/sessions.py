"""Server-side sign-in sessions that end: idle timeout, absolute lifetime, logout.

The browser holds only a random session id; the database holds its SHA-256,
the user, the CSRF token of the session and two times. A session is over when
the user was idle longer than ``[auth] idle_minutes``, when it is older than
``absolute_hours`` (one shift), at logout, or when the account is disabled or
its password changed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from coalguard.edge.clock import Clock
from coalguard.gateway.accounts import Accounts, User
from coalguard.gateway.config import Auth
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso, parse_iso

TOUCH_EVERY = timedelta(seconds=30)  # fewer writes; idle timeouts are minutes


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    started: datetime
    expires: datetime  # the earlier of idle and absolute expiry, as of now


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


class Sessions:
    def __init__(self, store: Store, clock: Clock, auth: Auth, accounts: Accounts) -> None:
        self.store = store
        self.clock = clock
        self.idle = timedelta(minutes=auth.idle_minutes)
        self.absolute = timedelta(hours=auth.absolute_hours)
        self.accounts = accounts

    def start(self, user: User) -> tuple[str, Session]:
        """A new session for ``user``; returns the id for the cookie (never stored)."""
        sid = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.store.tx() as db:
            db.execute(
                "INSERT INTO sessions(id_hash, username, csrf, created_at, last_seen) "
                "VALUES (?,?,?,?,?)",
                (_hash(sid), user.username, csrf, iso(now), iso(now)),
            )
            db.execute("DELETE FROM sessions WHERE created_at < ?", (iso(now - self.absolute),))
        return sid, Session(user, csrf, now, min(now + self.idle, now + self.absolute))

    def get(self, sid: str, touch: bool = True) -> Session | None:
        """The live session for a cookie value, or None (and an expired one is deleted)."""
        if not sid:
            return None
        key = _hash(sid)
        row = self.store.row("SELECT * FROM sessions WHERE id_hash = ?", (key,))
        if row is None:
            return None
        now = self.clock.now()
        started, seen = parse_iso(row["created_at"]), parse_iso(row["last_seen"])
        user = self.accounts.get(row["username"])
        if user is None or user.disabled or now - seen > self.idle or now - started > self.absolute:
            self.end(sid)
            return None
        if touch and now - seen >= TOUCH_EVERY:
            with self.store.tx() as db:
                db.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (iso(now), key))
            seen = now
        return Session(user, row["csrf"], started, min(seen + self.idle, started + self.absolute))

    def end(self, sid: str) -> None:
        with self.store.tx() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(sid),))
