"""What a gateway pulls (fast-pass list, watch list, profile set, ledger copy): who is asking.

The gateway's own bearer token authenticates it; its registered checkpoint
says which region's list it gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from coalguard.cloud.access import GATEWAY_TOKEN
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.checks.tables import Checkpoint
from coalguard.cloud.gateways import authenticate, bearer_token

TOML = {200: {"content": {"application/toml": {"schema": {"type": "string"}}}}}
TOML_MEDIA = "application/toml; charset=utf-8"


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


def pulling_checkpoint(request: Request, gateway_id: str) -> PullingCheckpoint:
    """The registered checkpoint of the calling gateway (already authenticated); 404 if unbound."""
    with request.app.state.sessions() as s:
        cp = s.scalars(
            select(Checkpoint).where(
                Checkpoint.gateway_id == gateway_id, Checkpoint.registered.is_(True)
            )
        ).first()
    if cp is None:
        raise Problem(404, "gateway_unbound", gateway_id=gateway_id)
    return PullingCheckpoint(cp.checkpoint_id, cp.region_code)


GatewayRead = Callable[[Request, str], Any]
ListFile = Callable[[Request, PullingCheckpoint], str]


def gateway_get(
    router: APIRouter, path: str, response_model: Any, **route: Any
) -> Callable[[GatewayRead], GatewayRead]:
    """Serve ``read(request, gateway_id)`` at ``GET /gateways/{gateway_id}/<path>`` to the gateway.

    One route shape for everything a gateway reads back from the cloud: its
    own token (else 401), then ``read`` in a worker thread.
    """

    def register(read: GatewayRead) -> GatewayRead:
        async def get(gateway_id: str, request: Request) -> Any:
            await require_gateway(request, gateway_id)
            return await run_in_threadpool(read, request, gateway_id)

        get.__name__, get.__doc__ = read.__name__, read.__doc__
        router.get(
            f"/gateways/{{gateway_id}}/{path}",
            dependencies=[GATEWAY_TOKEN],
            response_model=response_model,
            **route,
        )(get)
        return read

    return register


def gateway_list(router: APIRouter, file_name: str) -> Callable[[ListFile], ListFile]:
    """Serve ``build``'s TOML for the gateway's registered checkpoint (a list it pulls)."""

    def register(build: ListFile) -> ListFile:
        def pull(request: Request, gateway_id: str) -> PlainTextResponse:
            text = build(request, pulling_checkpoint(request, gateway_id))
            return PlainTextResponse(text, media_type=TOML_MEDIA)

        pull.__name__, pull.__doc__ = build.__name__, build.__doc__
        gateway_get(
            router,
            file_name,
            str,
            response_class=PlainTextResponse,
            responses={**TOML, **problems(404)},
        )(pull)
        return build

    return register
