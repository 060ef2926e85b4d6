"""``POST /api/v1/gateways/{gateway_id}/batches``: gateway records in.

Thin: authenticate, bound the request, parse, then ``batch_store`` decides
each record's outcome. The body is read only after the token checks out, and
never past ``max_batch_bytes``.
"""

from __future__ import annotations

import logging
import zlib
from functools import partial
from typing import Any, NamedTuple

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from coalguard.cloud.access import GATEWAY_TOKEN
from coalguard.cloud.api.problems import problem_response
from coalguard.cloud.api.responses import problems
from coalguard.cloud.batch_store import BatchRace, dead_letter_request, store_batch
from coalguard.cloud.gateways import authenticate, bearer_token
from coalguard.edge.outbox.record import DEFAULT_MAX_RECORD_BYTES
from coalguard.edge.uplink.wire import (
    FINITE,
    MAX_BODY_DEPTH,
    OUTCOMES,
    BatchResponse,
    CheckedRecord,
    WireRecord,
    known_finite,
    plain_records,
)
from coalguard.errors import WordedValueError
from coalguard.untrusted_json import UntrustedJson, parse, parse_fast, storable_text

log = logging.getLogger("coalguard.cloud.batches")

router = APIRouter(tags=["ingest"])


# The body is read raw (size limits before parsing, gzip, per-record outcomes), so
# FastAPI never sees a body parameter: the schema of what it expects is declared here.
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "description": "Records of one gateway; gzip allowed (Content-Encoding). "
        "Bounded by max_batch_bytes (413) and max_batch_records (413).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["records"],
                    "additionalProperties": False,
                    "properties": {
                        "records": {"type": "array", "items": WireRecord.model_json_schema()}
                    },
                }
            }
        },
    }
}


def _error(
    request: Request, status: int, key: str, headers: dict[str, str] | None = None, **params: Any
) -> JSONResponse:
    safe = {k: v if isinstance(v, Unreadable) else storable_text(str(v)) for k, v in params.items()}
    return problem_response(request, status, key, safe, headers=headers)


class Unreadable(WordedValueError):
    """The request body is not a batch the cloud can read: ``str()`` says why in English
    (logs, the dead letter), ``text(lang)`` in the reader's language; ``status`` is the
    answer's (413 for too many records)."""

    def __init__(self, key: str, status: int = 422, **params: Any) -> None:
        self.status = status
        super().__init__(key, **params)


class BatchRead(NamedTuple):
    """A readable batch: its records, each checked valid by the fast path (else None:
    ``store_batch`` judges them), and what the store may assume of the text."""

    items: list[Any]
    checked: list[CheckedRecord] | None
    context: dict[str, Any]


def read_batch(raw: bytes, max_records: int) -> BatchRead:
    """The batch in ``raw`` (inflated), by the fast path where it vouches for every record,
    else the strict one; ``Unreadable`` when the batch as a whole is refused."""
    plain = plain_batch(raw, max_records)
    if plain is not None:  # orjson read it: every number finite
        return BatchRead(*plain, {FINITE: True})
    doc = parse_batch(raw)
    problem = _shape_problem(doc, max_records)
    if problem is not None:
        raise problem
    return BatchRead(doc["records"], None, known_finite(raw))


def parse_batch(raw: bytes) -> Any:
    """The JSON document, or ``Unreadable`` naming what is wrong; never another error.

    Only what spoils the whole text refuses the batch; a value a record may not
    hold (an integer too long to convert, NaN, a lone surrogate) is judged with
    its record (``WireRecord``), which alone is rejected.
    """
    try:
        return parse(raw)
    except UntrustedJson as exc:
        if exc.code == "depth":
            raise Unreadable("batch_depth", levels=MAX_BODY_DEPTH) from None
        detail = exc.detail if exc.code == "syntax" else exc.reason
        raise Unreadable("batch_not_json", why=exc, detail=detail) from None


def plain_batch(raw: bytes, max_records: int) -> tuple[list[Any], list[CheckedRecord]] | None:
    """The records of a batch and each checked valid, by the fast path (orjson, no
    pydantic), or None: then the strict path reads and judges the batch as it always did.

    Whole or nothing, so every answer but "all stored" comes from the strict path:
    a fast read bounds nothing deeper than 64 levels (``parse_fast``), and only a
    valid record proves its nesting shallow.
    """
    doc = parse_fast(raw)
    if doc is None or _shape_problem(doc, max_records) is not None:
        return None
    items = doc["records"]
    checked = plain_records(items)
    return None if checked is None else (items, checked)


def _shape_problem(doc: Any, max_records: int) -> Unreadable | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        return Unreadable("batch_shape")
    extra = set(doc) - {"records"}
    if extra:
        fields = storable_text(", ".join(sorted(map(str, extra)))[:500])
        return Unreadable("batch_fields", fields=fields)
    n = len(doc["records"])
    if n > max_records:
        return Unreadable("batch_records", 413, n=n, limit=max_records)
    return None


def _unavailable(request: Request, gateway_id: str, exc: Exception) -> JSONResponse:
    log.error("batch from %s not taken, database unavailable: %s", gateway_id, exc)
    return _error(request, 503, "db_unavailable", {"Retry-After": "5"})


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


async def _refuse_whole(
    request: Request, engine: Any, gateway_id: str, status: int, reason: Unreadable, raw: bytes
) -> JSONResponse:
    """Answer ``status`` with the reason; an unreadable batch is kept as a dead letter.

    A batch over a size limit (413) is not kept: the sender still holds it
    and resends it in smaller batches.
    """
    if status == 422:
        try:
            at = request.app.state.clock.now()
            await run_in_threadpool(
                partial(dead_letter_request, received_at=at), engine, gateway_id, str(reason), raw
            )
        except OperationalError as exc:  # not kept: the sender must keep it and retry
            return _unavailable(request, gateway_id, exc)
    log.warning("batch from %s refused (%d): %s", gateway_id, status, storable_text(str(reason)))
    return _error(request, status, "batch_refused", reason=reason)


@router.post(
    "/api/v1/gateways/{gateway_id}/batches",
    dependencies=[GATEWAY_TOKEN],
    response_model=BatchResponse,
    responses=problems(413, 415, 503),
    openapi_extra=BATCH_BODY,
)
async def post_batch(gateway_id: str, request: Request) -> Response:
    """Store a batch of edge records; answers each record's outcome by id."""
    answer = await _take_batch(gateway_id, request)
    request.app.state.metrics.batch_answered(answer.status_code)
    return answer


async def _take_batch(gateway_id: str, request: Request) -> Response:
    settings = request.app.state.settings
    engine = request.app.state.engine
    token = bearer_token(request.headers.get("authorization"))
    try:
        known = await run_in_threadpool(authenticate, engine, gateway_id, token)
    except OperationalError as exc:
        return _unavailable(request, gateway_id, exc)
    if not known:
        log.warning("batch refused: gateway %r unknown or wrong token", gateway_id)
        return _error(
            request, 401, "gateway_refused", {"WWW-Authenticate": "Bearer"}, gateway_id=gateway_id
        )
    limit = settings.max_batch_bytes
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        why = Unreadable("batch_encoding", encoding=storable_text(encoding[:40]))
        return _error(request, 415, "batch_refused", reason=why)
    too_big = _error(
        request,
        413,
        "batch_refused",
        reason=Unreadable("batch_bytes", limit=limit),
    )
    raw = await _read_limited(request, limit)
    if raw is None:
        return too_big
    try:
        if encoding == "gzip":
            try:
                raw = _gunzip(raw, limit)
            except (zlib.error, EOFError) as exc:
                log.info("batch from %s: gzip unreadable: %s", gateway_id, exc)
                raise Unreadable("batch_gzip") from None
            if raw is None:  # the limit holds for the inflated batch too
                return too_big
        batch = read_batch(raw, settings.max_batch_records)
    except Unreadable as exc:
        return await _refuse_whole(request, engine, gateway_id, exc.status, exc, raw)
    try:
        outcomes = await run_in_threadpool(
            store_batch,
            engine,
            gateway_id,
            batch.items,
            max_record_bytes=DEFAULT_MAX_RECORD_BYTES,
            received_at=request.app.state.clock.now(),
            context=batch.context,
            checked=batch.checked,
        )
    except BatchRace as exc:
        log.info("batch from %s raced another writer: %s", gateway_id, exc)
        retry = Unreadable("batch_race")
        return _error(request, 503, "batch_refused", {"Retry-After": "1"}, reason=retry)
    except OperationalError as exc:
        return _unavailable(request, gateway_id, exc)
    request.app.state.metrics.ingested(outcomes, request.app.state.clock.now())
    kick = getattr(request.app.state, "checks_kick", None)
    if kick is not None:  # wake the projector; never wait for it
        kick()
    counts = dict.fromkeys(OUTCOMES, 0)
    for o in outcomes:
        counts[o.outcome] += 1
    # orjson: a tenth of json.dumps' time for 2,000 results (reasons and ids are storable text)
    answer = {"results": [o.as_dict() for o in outcomes], "counts": counts}
    return Response(orjson.dumps(answer), media_type="application/json")
