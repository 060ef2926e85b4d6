"""Registry of checkpoint gateways and their bearer tokens.

Tokens are 256-bit random strings made here; only their SHA-256 is stored
(a slow password hash buys nothing for a secret with that much entropy and
would cost every batch request). Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Engine, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from coalguard.cloud.db import Base
from coalguard.edge.uplink.wire import GATEWAY_ID_RE
from coalguard.errors import WordedInputError


class GatewayRow(Base):
    __tablename__ = "gateways"

    gateway_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    token_set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class GatewayInfo:
    gateway_id: str
    name: str
    enabled: bool
    created_at: datetime
    token_set_at: datetime


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_gateway_id(gateway_id: str) -> str:
    if not GATEWAY_ID_RE.match(gateway_id):
        raise WordedInputError("config_words.gateway_id", gateway=gateway_id)
    return gateway_id


def register_gateway(
    engine: Engine,
    gateway_id: str,
    *,
    name: str = "",
    token: str | None = None,
    rotate: bool = False,
    now: datetime,
) -> str:
    """Add a gateway (or give an existing one a new token with ``rotate``).

    Returns the token: shown once, never stored in clear. ``now``: the caller's clock.
    """
    check_gateway_id(gateway_id)
    if token is not None and len(token) < 32:
        raise WordedInputError("config_words.gateway_token_short", least=32)
    token = token or secrets.token_urlsafe(32)
    with Session(engine) as s, s.begin():
        row = s.get(GatewayRow, gateway_id)
        if row is not None and not rotate:
            raise WordedInputError("config_words.gateway_registered", gateway=gateway_id)
        if row is None:
            if rotate:
                raise WordedInputError("config_words.gateway_unregistered", gateway=gateway_id)
            s.add(
                GatewayRow(
                    gateway_id=gateway_id,
                    token_hash=hash_token(token),
                    name=name,
                    enabled=True,
                    created_at=now,
                    token_set_at=now,
                )
            )
        else:
            row.token_hash = hash_token(token)
            row.token_set_at = now
            row.enabled = True
    return token


def set_enabled(engine: Engine, gateway_id: str, enabled: bool) -> None:
    with Session(engine) as s, s.begin():
        row = s.get(GatewayRow, gateway_id)
        if row is None:
            raise WordedInputError("config_words.gateway_unregistered", gateway=gateway_id)
        row.enabled = enabled


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(engine: Engine, gateway_id: str, token: str | None) -> bool:
    """True when ``gateway_id`` is registered, enabled and ``token`` is its token."""
    if not token or not GATEWAY_ID_RE.match(gateway_id):
        return False
    with Session(engine) as s:
        row = s.get(GatewayRow, gateway_id)
        if row is None or not row.enabled:
            hmac.compare_digest(hash_token(token), hash_token(""))  # same work either way
            return False
        return hmac.compare_digest(row.token_hash, hash_token(token))


def list_gateways(engine: Engine) -> list[GatewayInfo]:
    with Session(engine) as s:
        rows = s.scalars(select(GatewayRow).order_by(GatewayRow.gateway_id)).all()
        return [
            GatewayInfo(r.gateway_id, r.name, r.enabled, r.created_at, r.token_set_at) for r in rows
        ]
