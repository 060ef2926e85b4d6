"""Operator tokens scoped to a region code prefix.

Chinese administrative division codes nest (province 2 digits, city 4, county
6, township 9, village 12), so a token for ``1301`` sees every county,
township and village of that city. Tokens are stored only as SHA-256 hashes.
Later issues extend ``Operator`` with users and roles.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Boolean, DateTime, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from coalguard.cloud.db import Base
from coalguard.edge.model import utcnow

ROLES = ("operator", "installer", "admin")


class OperatorToken(Base):
    __tablename__ = "operator_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    region_prefix: Mapped[str] = mapped_column(String(12), default="")
    role: Mapped[str] = mapped_column(String(16), default="operator")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class Operator:
    """Who is calling and which part of the country they may see."""

    name: str
    region_prefix: str
    role: str

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.region_prefix)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    sessions: sessionmaker, name: str, region_prefix: str, role: str = "operator"
) -> str:
    """Create a token (shown once) for ``name`` scoped to ``region_prefix``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if not region_prefix.isdigit() and region_prefix != "":
        raise ValueError("region prefix must be digits of a region code (or empty for all)")
    token = "cgt_" + secrets.token_urlsafe(24)
    with sessions.begin() as s:
        s.add(
            OperatorToken(
                token_hash=_hash(token),
                name=name,
                region_prefix=region_prefix,
                role=role,
                created_at=utcnow(),
                revoked=False,
            )
        )
    return token


def lookup(s: Session, token: str) -> Operator | None:
    row = s.scalars(select(OperatorToken).where(OperatorToken.token_hash == _hash(token))).first()
    if row is None or row.revoked:
        return None
    return Operator(row.name, row.region_prefix, row.role)


_bearer = HTTPBearer(auto_error=False)


def current_operator(
    request: Request, cred: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Operator:
    """FastAPI dependency: the caller's Operator, or 401."""
    if cred is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    with request.app.state.sessions() as s:
        op = lookup(s, cred.credentials)
    if op is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return op
