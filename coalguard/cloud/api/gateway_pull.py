"""What a gateway pulls (fast-pass list, watch list, profile set, ledger copy): who is asking.

The gateway's own bearer token authenticates it; its registered checkpoint
says which region's list it gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from coalguard.cloud.api.problems import Problem
from coalguard.cloud.checks.tables import Checkpoint
from coalguard.cloud.gateways import authenticate, bearer_token


@dataclass(frozen=True)
class PullingCheckpoint:
    checkpoint_id: str
    region_code: str


async def require_gateway(request: Request, gateway_id: str) -> None:
    """A ``GATEWAY_TOKEN`` route's check: the bearer is ``gateway_id``'s own token, else 401."""
    token = bearer_token(request.headers.get("authorization"))
    if not await run_in_threadpool(authenticate, request.app.state.engine, gateway_id, token):
        raise Problem(
            401, "gateway_refused", headers={"WWW-Authenticate": "Bearer"}, gateway_id=gateway_id
        )


async def pulling_checkpoint(request: Request, gateway_id: str) -> PullingCheckpoint:
    """The registered checkpoint of the calling gateway; 401 on a bad token, 404 if unbound."""
    await require_gateway(request, gateway_id)

    def find() -> PullingCheckpoint | None:
        with request.app.state.sessions() as s:
            cp = s.scalars(
                select(Checkpoint).where(
                    Checkpoint.gateway_id == gateway_id, Checkpoint.registered.is_(True)
                )
            ).first()
            return PullingCheckpoint(cp.checkpoint_id, cp.region_code) if cp else None

    found = await run_in_threadpool(find)
    if found is None:
        raise Problem(404, "gateway_unbound", gateway_id=gateway_id)
    return found
