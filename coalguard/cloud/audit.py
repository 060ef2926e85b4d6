"""The audit log: every write, who made it, what, when and from where.

A middleware records every non-reading HTTP request after it is answered
(refused ones too: a 401 burst is worth seeing). CLI writes call
``record`` directly with the local user as actor.

Each entry keeps the region prefix its actor had when it acted
(``actor_region``); an admin reads the entries of actors inside its own
region. Anonymous callers, gateways and the CLI act nationally ("") and are
seen by national admins only.
"""

from __future__ import annotations

import getpass
import logging
import re
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from sqlalchemy import JSON, BigInteger, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from starlette.concurrency import run_in_threadpool

from coalguard.cloud.co.tables import UTCDateTime
from coalguard.cloud.db import Base
from coalguard.cloud.ratelimit import client_address

log = logging.getLogger("coalguard.cloud.audit")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_GATEWAY_PATH = re.compile(r"^/api/v1/gateways/([^/]+)/")


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(80), index=True)
    role: Mapped[str] = mapped_column(String(16), default="")
    actor_region: Mapped[str] = mapped_column(String(12), default="", index=True)
    action: Mapped[str] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    client: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


def record(
    s: Session,
    actor: str,
    action: str,
    *,
    role: str = "",
    actor_region: str = "",
    status: int = 0,
    client: str = "local",
    detail: dict[str, Any] | None = None,
    at: datetime,
) -> None:
    """Add one entry inside the caller's transaction (``at``: the caller's clock, app or CLI)."""
    s.add(
        AuditEntry(
            at=at,
            actor=actor[:80],
            role=role,
            actor_region=actor_region,
            action=action[:200],
            status=status,
            client=client[:64],
            detail=detail or {},
        )
    )


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _write(sessions: sessionmaker, row: dict[str, Any]) -> None:
    try:
        with sessions.begin() as s:
            record(s, **row)
    except Exception:  # the answer is already decided; never turn it into a 500
        log.exception("audit entry not stored: %s", row)


def install(app: FastAPI) -> None:
    """Record every write request the app answers."""

    @app.middleware("http")
    async def _audit(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if request.method in _READS:
            return response
        op = getattr(request.state, "operator", None)
        region = ""
        if op is not None:
            actor, role, region = op.name, op.role, op.region_prefix
        elif m := _GATEWAY_PATH.match(request.url.path):
            actor, role = f"gateway:{m.group(1)}", "gateway"
        else:
            actor, role = "anonymous", ""
        detail: dict[str, Any] = {}
        if request.url.query:
            detail["query"] = request.url.query[:500]
        row = {
            "actor": actor,
            "action": f"{request.method} {request.url.path}",
            "role": role,
            "actor_region": region,
            "status": response.status_code,
            "client": client_address(request),
            "detail": detail,
            "at": request.app.state.clock.now(),
        }
        await run_in_threadpool(_write, request.app.state.sessions, row)
        return response


def entries(
    s: Session,
    *,
    region: str,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Entries of actors inside ``region`` (a code prefix; "" is everyone), newest first."""
    q = select(AuditEntry)
    if region:
        q = q.where(AuditEntry.actor_region.startswith(region))
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if since:
        q = q.where(AuditEntry.at >= since)
    return [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "role": e.role,
            "actor_region": e.actor_region,
            "action": e.action,
            "status": e.status,
            "client": e.client,
            "detail": e.detail,
        }
        for e in s.scalars(q.order_by(AuditEntry.id.desc()).limit(limit))
    ]
