"""Server-side dashboard sessions: what the login cookie holds instead of a token.

The cookie carries a random session id; only its SHA-256 is stored. A
session ends at logout, after ``idle`` without a request, after ``absolute``
since login, and as soon as its user or the token it was opened with is
revoked. The API token itself never leaves the login request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from coalguard.cloud.auth import CloudUser, Operator, UserToken, operator_of, token_hash
from coalguard.cloud.co.tables import UTCDateTime
from coalguard.cloud.db import Base

COOKIE = "cg_session"
# Touch ``last_seen_at`` at most this often (a write per page view buys nothing).
_TOUCH_EVERY = timedelta(seconds=60)


class LoginSession(Base):
    """One signed-in browser."""

    __tablename__ = "cloud_login_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("cloud_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives: ``idle`` since its last request, ``absolute`` since login."""

    idle: timedelta
    absolute: timedelta


def open_session(s: Session, op: Operator, token: str, now: datetime) -> str:
    """A new session for ``op`` signed in with ``token``; returns the cookie value."""
    sid = "cgs_" + secrets.token_urlsafe(32)
    assert op.user_id is not None
    s.add(
        LoginSession(
            id_hash=token_hash(sid),
            user_id=op.user_id,
            token_hash=token_hash(token),
            created_at=now,
            last_seen_at=now,
        )
    )
    return sid


def find_session(s: Session, sid: str, now: datetime, life: Lifetime) -> Operator | None:
    """The operator of a live session (and keep it alive), or None; expired ones are deleted."""
    row = s.execute(
        select(LoginSession, CloudUser, UserToken.revoked)
        .join(CloudUser, CloudUser.id == LoginSession.user_id)
        .join(UserToken, UserToken.token_hash == LoginSession.token_hash)
        .where(LoginSession.id_hash == token_hash(sid))
    ).first()
    if row is None:
        return None
    sess, user, token_revoked = row
    expired = now - sess.last_seen_at >= life.idle or now - sess.created_at >= life.absolute
    if expired or user.revoked or token_revoked:
        s.delete(sess)
        return None
    if now - sess.last_seen_at >= _TOUCH_EVERY:
        sess.last_seen_at = now
    return operator_of(user, via_cookie=True)


def end_session(s: Session, sid: str) -> bool:
    """Logout: the session stops working at once. True when there was one."""
    return bool(
        s.execute(delete(LoginSession).where(LoginSession.id_hash == token_hash(sid))).rowcount
    )
