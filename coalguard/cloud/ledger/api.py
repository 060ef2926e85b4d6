"""Routes over the cloud's copy of the gateways' ledgers.

``GET /api/v1/gateways/{gateway_id}/ledger`` is the gateway's own view
(its bearer token, as for batches; a gateway reads only its own), which
``coalguard gateway verify-ledger`` compares with its local books.
``GET /api/v1/ledgers`` shows operators each gateway's verification state.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from coalguard.cloud.access import EVERY_ROLE, GATEWAY_TOKEN, allow
from coalguard.cloud.auth import Operator
from coalguard.cloud.checks.tables import Checkpoint
from coalguard.cloud.gateways import authenticate, bearer_token
from coalguard.cloud.ledger import chain

router = APIRouter(prefix="/api/v1", tags=["ledgers"])
Reader = Annotated[Operator, allow(*EVERY_ROLE)]


@router.get("/gateways/{gateway_id}/ledger", dependencies=[GATEWAY_TOKEN])
async def gateway_ledger(gateway_id: str, request: Request) -> dict[str, Any]:
    """Every ledger entry the cloud holds from this gateway, by book and seq, and its forks."""
    token = bearer_token(request.headers.get("authorization"))
    ok = await run_in_threadpool(authenticate, request.app.state.engine, gateway_id, token)
    if not ok:
        raise HTTPException(
            401,
            f"gateway {gateway_id!r} is not registered, is disabled, or the bearer token is wrong",
            headers={"WWW-Authenticate": "Bearer"},
        )

    def read() -> dict[str, Any]:
        with request.app.state.sessions() as s:
            return chain.gateway_ledger(s, gateway_id)

    return await run_in_threadpool(read)


@router.get("/ledgers")
def ledger_verification(request: Request, op: Reader) -> list[dict[str, Any]]:
    """Each gateway's ledger copy: intact, or its bad hashes, broken links, gaps and forks.

    Read-only, like the other checkpoint views: a regional user sees the
    gateways bound to checkpoints in their region, a national one all.
    """
    with request.app.state.sessions() as s:
        ids = None
        if op.region_prefix:
            ids = list(
                s.scalars(
                    select(Checkpoint.gateway_id)
                    .where(Checkpoint.region_code.startswith(op.region_prefix))
                    .where(Checkpoint.gateway_id.is_not(None))
                    .distinct()
                )
            )
        return chain.verification(s, ids)
