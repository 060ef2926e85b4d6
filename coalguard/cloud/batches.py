"""``POST /api/v1/gateways/{gateway_id}/batches``: gateway records in.

Thin: authenticate, bound the request, parse, then ``batch_store`` decides
each record's outcome. The body is read only after the token checks out, and
never past ``max_batch_bytes``.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from coalguard.cloud.access import GATEWAY_TOKEN
from coalguard.cloud.batch_store import BatchRace, store_batch
from coalguard.cloud.gateways import authenticate
from coalguard.edge.outbox.record import DEFAULT_MAX_RECORD_BYTES
from coalguard.edge.uplink.wire import OUTCOMES

log = logging.getLogger("coalguard.cloud.batches")

router = APIRouter(tags=["ingest"])


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _unavailable(gateway_id: str, exc: Exception) -> JSONResponse:
    log.error("batch from %s not taken, database unavailable: %s", gateway_id, exc)
    return _error(503, "database unavailable; retry later", {"Retry-After": "5"})


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip(data: bytes, limit: int) -> bytes | None:
    """Inflate a gzip body, or None past ``limit`` bytes (no zip bomb gets through)."""
    d = zlib.decompressobj(wbits=31)
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        return None
    if not d.eof:
        raise EOFError("truncated gzip stream")
    return out


@router.post("/api/v1/gateways/{gateway_id}/batches", dependencies=[GATEWAY_TOKEN])
async def post_batch(gateway_id: str, request: Request) -> JSONResponse:
    """Store a batch of edge records; answers each record's outcome by id."""
    settings = request.app.state.settings
    engine = request.app.state.engine
    token = _bearer(request)
    try:
        known = await run_in_threadpool(authenticate, engine, gateway_id, token)
    except OperationalError as exc:
        return _unavailable(gateway_id, exc)
    if not known:
        log.warning("batch refused: gateway %r unknown or wrong token", gateway_id)
        return _error(
            401,
            f"gateway {gateway_id!r} is not registered, is disabled, or the bearer token is wrong",
            {"WWW-Authenticate": "Bearer"},
        )
    limit = settings.max_batch_bytes
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        return _error(415, f"content encoding {encoding!r} not accepted; use gzip or none")
    too_big = _error(413, f"batch is larger than the limit of {limit} bytes (max_batch_bytes)")
    raw = await _read_limited(request, limit)
    if raw is None:
        return too_big
    if encoding == "gzip":
        try:
            raw = _gunzip(raw, limit)
        except (zlib.error, EOFError) as exc:
            return _error(422, f"request body is not valid gzip: {exc}")
        if raw is None:  # the limit holds for the inflated batch too
            return too_big
    try:
        doc: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(422, f"request body is not valid JSON: {exc}")
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        return _error(422, 'request body must be a JSON object {"records": [...]}')
    extra = set(doc) - {"records"}
    if extra:
        return _error(422, f"unknown field(s) in batch: {', '.join(sorted(extra))}")
    items = doc["records"]
    if len(items) > settings.max_batch_records:
        return _error(
            413,
            f"batch has {len(items)} records; the limit is {settings.max_batch_records} "
            "records (max_batch_records)",
        )
    try:
        outcomes = await run_in_threadpool(
            store_batch, engine, gateway_id, items, max_record_bytes=DEFAULT_MAX_RECORD_BYTES
        )
    except BatchRace as exc:
        return _error(503, f"retry: {exc}", {"Retry-After": "1"})
    except OperationalError as exc:
        return _unavailable(gateway_id, exc)
    kick = getattr(request.app.state, "checks_kick", None)
    if kick is not None:  # wake the projector; never wait for it
        kick()
    counts = dict.fromkeys(OUTCOMES, 0)
    for o in outcomes:
        counts[o.outcome] += 1
    return JSONResponse({"results": [o.as_dict() for o in outcomes], "counts": counts})
