"""Users, roles and bearer tokens scoped to a region code prefix.

Chinese administrative division codes nest (province 2 digits, city 4, county
6, township 9, village 12), so a user of ``1301`` sees every county, township
and village of that city. One model for everyone: a ``cloud_user`` has a role
(``admin``, ``operator``, ``installer``, ``gateway``) and a region prefix; it
holds any number of tokens, stored only as SHA-256 hashes (a 192-bit random
token needs no slow hash). The dashboard's login puts the same token in an
HttpOnly cookie; cookie-authenticated writes must carry ``X-CG-CSRF: 1``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from coalguard.cloud.db import Base
from coalguard.edge.model import utcnow

ROLES = ("admin", "operator", "installer", "gateway")
COOKIE = "cg_token"
CSRF_HEADER = "x-cg-csrf"

# What each role may do besides reading within its region.
_WRITES: dict[str, frozenset[str]] = {
    "admin": frozenset({"alerts", "devices", "fast_pass", "checkpoints", "users"}),
    "operator": frozenset({"alerts", "devices", "fast_pass"}),
    "installer": frozenset({"devices"}),
    "gateway": frozenset(),
}


class CloudUser(Base):
    """A person or machine that calls the cloud."""

    __tablename__ = "cloud_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="operator")
    region_prefix: Mapped[str] = mapped_column(String(12), default="")
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class UserToken(Base):
    """One bearer token of a user; only its SHA-256 is kept."""

    __tablename__ = "cloud_user_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("cloud_user.id"), index=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class Operator:
    """Who is calling and which part of the country they may see."""

    name: str
    region_prefix: str
    role: str
    user_id: int | None = None
    personal_data: bool = False
    via_cookie: bool = False

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.region_prefix)

    def may(self, write: str) -> bool:
        return write in _WRITES.get(self.role, frozenset())

    @property
    def sees_personal_data(self) -> bool:
        """Admins, and users granted it, see ID-card and phone numbers unmasked."""
        return self.role == "admin" or self.personal_data


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_user_fields(role: str, region_prefix: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if region_prefix and (not region_prefix.isdigit() or len(region_prefix) > 12):
        raise ValueError(
            "region prefix must be up to 12 digits of a region code (or empty for all)"
        )


def add_user(
    s: Session, name: str, role: str, region_prefix: str, *, personal_data: bool = False
) -> CloudUser:
    """Create a user inside the caller's transaction (ValueError when it exists)."""
    check_user_fields(role, region_prefix)
    if not name.strip() or len(name) > 64:
        raise ValueError("user name must be 1-64 characters")
    if s.scalars(select(CloudUser).where(CloudUser.name == name)).first() is not None:
        raise ValueError(f"user {name!r} already exists")
    user = CloudUser(
        name=name,
        role=role,
        region_prefix=region_prefix,
        personal_data=personal_data,
        created_at=utcnow(),
        revoked=False,
    )
    s.add(user)
    s.flush()
    return user


def new_token(s: Session, user: CloudUser, label: str = "") -> str:
    """A fresh token for ``user`` (shown once; only its hash is stored)."""
    if user.revoked:
        raise ValueError(f"user {user.name!r} is revoked")
    token = "cgt_" + secrets.token_urlsafe(24)
    s.add(
        UserToken(
            token_hash=_hash(token),
            user_id=user.id,
            label=label[:64],
            created_at=utcnow(),
            revoked=False,
        )
    )
    return token


def find_user(s: Session, name: str) -> CloudUser:
    user = s.scalars(select(CloudUser).where(CloudUser.name == name)).first()
    if user is None:
        raise ValueError(f"no user {name!r}")
    return user


def revoke_user(s: Session, name: str) -> int:
    """Revoke a user and every token it holds; returns how many tokens stopped."""
    user = find_user(s, name)
    user.revoked = True
    n = 0
    for t in s.scalars(select(UserToken).where(UserToken.user_id == user.id)):
        if not t.revoked:
            t.revoked = True
            n += 1
    return n


def issue_token(
    sessions: sessionmaker, name: str, region_prefix: str, role: str = "operator"
) -> str:
    """A token (shown once) for user ``name``, creating the user when new.

    An existing user keeps its role and region: asking for another is an error.
    """
    check_user_fields(role, region_prefix)
    with sessions.begin() as s:
        user = s.scalars(select(CloudUser).where(CloudUser.name == name)).first()
        if user is None:
            user = add_user(s, name, role, region_prefix)
        elif (user.role, user.region_prefix) != (role, region_prefix):
            raise ValueError(
                f"user {name!r} exists with role {user.role} and region "
                f"{user.region_prefix or '(all)'}; use 'coalguard cloud users' to change it"
            )
        return new_token(s, user)


def lookup(s: Session, token: str) -> Operator | None:
    row = s.execute(
        select(CloudUser, UserToken.revoked)
        .join(UserToken, UserToken.user_id == CloudUser.id)
        .where(UserToken.token_hash == _hash(token))
    ).first()
    if row is None:
        return None
    user, token_revoked = row
    if token_revoked or user.revoked:
        return None
    return Operator(user.name, user.region_prefix, user.role, user.id, user.personal_data)


_bearer = HTTPBearer(auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def current_operator(
    request: Request, cred: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Operator:
    """FastAPI dependency: the caller's Operator, or 401.

    Also remembered on ``request.state.operator`` for the audit log.
    """
    token = cred.credentials if cred is not None else request.cookies.get(COOKIE)
    if not token:
        raise _unauthorized("missing bearer token")
    with request.app.state.sessions() as s:
        op = lookup(s, token)
    if op is None:
        raise _unauthorized("unknown or revoked token")
    if cred is None:
        op = Operator(op.name, op.region_prefix, op.role, op.user_id, op.personal_data, True)
        if request.method not in ("GET", "HEAD", "OPTIONS") and (
            request.headers.get(CSRF_HEADER) != "1"
        ):
            raise HTTPException(403, f"cookie-authenticated writes need the {CSRF_HEADER} header")
    request.state.operator = op
    return op


def require(op: Operator, write: str) -> None:
    """403 unless ``op``'s role may perform ``write``."""
    if not op.may(write):
        raise HTTPException(403, f"role {op.role} may not change {write.replace('_', ' ')}")
