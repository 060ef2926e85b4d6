"""Routes over the cloud's copy of the gateways' ledgers.

``GET /api/v1/gateways/{gateway_id}/ledger`` is the gateway's own view
(its bearer token, as for batches; a gateway reads only its own), which
``coalguard gateway verify-ledger`` compares with its local books.
``GET /api/v1/ledgers`` shows operators each gateway's verification state.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import select

from coalguard.cloud.api.deps import Reader
from coalguard.cloud.api.gateway_pull import gateway_get
from coalguard.cloud.checks.tables import Checkpoint
from coalguard.cloud.ledger import chain

router = APIRouter(prefix="/api/v1", tags=["ledgers"])


class LedgerEntryOut(BaseModel):
    book: str
    seq: int
    id: str
    hash: str
    prev_hash: str


class ForkOut(BaseModel):
    """Two or more entries with one book and seq but different hashes."""

    book: str
    seq: int
    ids: list[str]
    hashes: list[str]


class GatewayLedgerOut(BaseModel):
    gateway_id: str
    entries: list[LedgerEntryOut]
    forks: list[ForkOut]


class LedgerStateOut(BaseModel):
    gateway_id: str
    entries: int
    last_seq: dict[str, int]
    bad_hashes: int
    broken_links: int
    gaps: int
    forks: int
    intact: bool


@gateway_get(router, "ledger", GatewayLedgerOut)
def gateway_ledger(request: Request, gateway_id: str) -> dict[str, Any]:
    """Every ledger entry the cloud holds from this gateway, by book and seq, and its forks."""
    with request.app.state.sessions() as s:
        return chain.gateway_ledger(s, gateway_id)


@router.get("/ledgers", response_model=list[LedgerStateOut])
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
