"""Region directory routes: every signed-in role reads the names of a region's children;
administrators import names from a sheet (dry run, then all or nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from coalguard.cloud import regions
from coalguard.cloud.api.deps import ClockDep, Reader, RegionImporter
from coalguard.cloud.api.problems import Problem, request_lang
from coalguard.cloud.api.responses import problems
from coalguard.cloud.api.uploads import sheet_upload
from coalguard.cloud.contacts.schemas import RowErrorOut
from coalguard.cloud.regions import importer
from coalguard.cloud.scope import is_region_code

router = APIRouter(prefix="/api/v1", tags=["regions"])


class RegionOut(BaseModel):
    code: str
    level: str
    parent: str | None
    name: str
    name_zh: str
    name_en: str | None
    path: str


class RegionImportOut(BaseModel):
    rows: int
    added: int
    renamed: int
    unchanged: int
    committed: bool
    errors: list[RowErrorOut]


@router.get("/regions", response_model=list[RegionOut], responses=problems(422))
def list_regions(
    request: Request, op: Reader, parent: Annotated[str, Query(max_length=12)] = ""
) -> list[RegionOut]:
    """The regions one level below ``parent`` (default: the provinces), names in the
    caller's language."""
    if not is_region_code(parent):
        raise Problem(422, "region_digits")
    lang = request_lang(request)
    return [
        RegionOut(
            code=r.code,
            level=r.level,
            parent=r.parent,
            name=r.name(lang),
            name_zh=r.name_zh,
            name_en=r.name_en,
            path=regions.region_path(r.code, lang),
        )
        for r in regions.children(parent)
    ]


@router.post("/regions/import", response_model=RegionImportOut, responses=problems(413))
async def import_regions(
    request: Request,
    op: RegionImporter,
    clock: ClockDep,
    commit: bool = False,
    format: Literal["csv", "xlsx"] | None = None,
) -> RegionImportOut:
    """A CSV or .xlsx sheet (``code,name_zh,name_en``) as the body: a dry run by default;
    with ``commit=true`` every row is stored, or nothing when any row is refused."""
    data, kind = await sheet_upload(request, format)
    result = await run_in_threadpool(_import, request, op.name, data, kind, clock.now(), commit)
    lang = request_lang(request)
    return RegionImportOut(
        rows=result.rows,
        added=result.added,
        renamed=result.renamed,
        unchanged=result.unchanged,
        committed=result.committed,
        errors=[RowErrorOut(**e.view(lang)) for e in result.errors],
    )


def _import(
    request: Request, who: str, data: bytes, kind: str, now: datetime, commit: bool
) -> importer.ImportResult:
    rows = importer.read_table(data, kind)
    with request.app.state.sessions.begin() as s:
        result = importer.import_rows(s, rows, who, now, commit=commit)
    if result.committed:
        regions.refresh(request.app.state.sessions)
    return result
