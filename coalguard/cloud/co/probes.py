"""``/healthz`` and ``/readyz`` of a ``co-ingest`` process, beside ``/metrics`` on its port.

Liveness touches nothing (a process manager restarts on it); readiness is the
database answering ``SELECT 1`` in time and every ingest lane connected to the
broker, else a 503 ``application/problem+json`` naming which is down (a load
balancer or an orchestrator stops counting on the worker, and an operator sees why).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from coalguard.cloud.api.problems import MEDIA_TYPE, header_lang, problem_body
from coalguard.cloud.api.routes.health import database_down

if TYPE_CHECKING:
    from coalguard.cloud.co.service import CoService

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_STATUS = {200: "200 OK", 503: "503 Service Unavailable"}


def not_ready(svc: CoService) -> tuple[str, str] | None:
    """(part, reason) of the first thing the worker cannot reach; ``None`` when ready."""
    reason = database_down(svc.sessions.kw["bind"])
    if reason is not None:
        return "database", reason
    lanes = svc.ingest.lanes if svc.ingest else []
    down = [lane for lane in lanes if not lane.connected.is_set()]
    if down:
        last = "; ".join(
            f"{lane.name}: {lane.last_disconnect or 'not connected yet'}" for lane in down
        )
        return "broker", last
    return None


def probes(svc: CoService, metrics: WsgiApp) -> WsgiApp:
    """``/healthz`` and ``/readyz`` of ``svc``; every other path is ``metrics``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _json(start_response, 200, {"status": "ok"})
        if path != "/readyz":
            return metrics(environ, start_response)
        down = not_ready(svc)
        if down is None:
            return _json(start_response, 200, {"status": "ok", "database": "ok", "broker": "ok"})
        lang = header_lang(environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        params = {"part": down[0], "reason": down[1]}
        body = problem_body(503, "health.not_ready", params, lang, path)
        return _json(start_response, 503, body, MEDIA_TYPE, [("Retry-After", "5")])

    return app


def _json(
    start_response: Callable[..., Any],
    status: int,
    body: dict[str, Any],
    media_type: str = "application/json",
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        _STATUS[status],
        [("Content-Type", media_type), ("Content-Length", str(len(data))), *(headers or [])],
    )
    return [data]
