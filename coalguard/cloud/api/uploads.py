"""A spreadsheet sent as a request body (the imports of contacts and points): its bytes,
bounded, and whether it is CSV or .xlsx (``format``, else its content type)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from coalguard.cloud.api.problems import Problem, request_lang
from coalguard.cloud.sheets import Rows

MAX_SHEET_BYTES = 2 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def sheet_upload(request: Request, format: str | None) -> tuple[bytes, str]:
    """``(bytes, "csv" | "xlsx")`` of the body; 413 past ``MAX_SHEET_BYTES``."""
    data = await request.body()
    if len(data) > MAX_SHEET_BYTES:
        raise Problem(413, "sheets.too_large", limit=MAX_SHEET_BYTES)
    is_xlsx = request.headers.get("content-type", "").startswith(XLSX)
    return data, format or ("xlsx" if is_xlsx else "csv")


async def bounded_body(request: Request, limit: int, key: str) -> bytes:
    """The body, read no further than ``limit`` bytes: 413 (``key``) past it, before
    the rest is read (a declared length too large is refused without reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, key, limit=limit)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise Problem(413, key, limit=limit)
    return bytes(data)


async def import_sheet(
    request: Request,
    format: str | None,
    read: Callable[[bytes, str], Rows],
    apply: Callable[[Session, Rows], Any],
) -> dict[str, Any]:
    """The body's sheet read and applied in one transaction, off the event loop; the
    importer's result (a dataclass with ``errors``) as the answer: its counts,
    ``committed`` and the row errors in the reader's language."""
    data, kind = await sheet_upload(request, format)

    def run() -> Any:
        rows = read(data, kind)
        with request.app.state.sessions.begin() as s:
            return apply(s, rows)

    result = await run_in_threadpool(run)
    lang = request_lang(request)
    answer = {f.name: getattr(result, f.name) for f in fields(result) if f.name != "errors"}
    answer["errors"] = [e.view(lang) for e in result.errors]
    return answer
