"""Zone lists (禁煤区 / 禁燃区 / 散煤清零区): market supervision and admins publish a
version (CSV or the TOML data file as the body); every role reads its region's lists.
A gateway pulls the lists in force around its checkpoint (``zones.toml``) to hold
trucks of loose coal bound for a 禁煤区 village."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from coalguard.cloud.access import CASE_OFFICERS, allow
from coalguard.cloud.api.deps import ClockDep, Reader, RegionQuery
from coalguard.cloud.api.gateway_pull import PullingCheckpoint
from coalguard.cloud.api.gateway_pull import gateway_list as gateway_list_route
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import Operator
from coalguard.cloud.checks.watch import GATEWAY_SCOPE_DIGITS
from coalguard.cloud.scope import scoped_region
from coalguard.cloud.zones import ZoneArea, ZoneList, parse_csv, publish
from coalguard.cloud.zones.lists import gateway_list, parse_toml
from coalguard.edge import zonelist
from coalguard.edge.clock import LOCAL_TZ

router = APIRouter(prefix="/api/v1", tags=["zones"])
Publisher = Annotated[Operator, allow(*CASE_OFFICERS)]
MAX_LIST_BYTES = 2 * 1024 * 1024


class AreaOut(BaseModel):
    name: str
    kind: str
    region_code: str
    allowed_fuels: list[str]


class ZoneListOut(BaseModel):
    id: int
    version: str
    region_code: str
    published_on: date
    source: str
    areas: list[AreaOut]


class PublishQuery(BaseModel):
    version: str = Field(min_length=1, max_length=64)
    region: str = Field(max_length=12)
    published_on: date
    source: str = Field("", max_length=200)
    format: Literal["csv", "toml"] = "csv"


def _out(zl: ZoneList, areas: list[ZoneArea]) -> ZoneListOut:
    return ZoneListOut(
        id=zl.id,
        version=zl.version,
        region_code=zl.region_code,
        published_on=zl.published_on,
        source=zl.source,
        areas=[
            AreaOut(
                name=a.name, kind=a.kind, region_code=a.region_code, allowed_fuels=a.allowed_fuels
            )
            for a in areas
        ],
    )


@router.post("/zones", status_code=201, response_model=ZoneListOut, responses=problems(413))
async def publish_zones(
    request: Request, op: Publisher, clock: ClockDep, q: Annotated[PublishQuery, Query()]
) -> ZoneListOut:
    """Publish a new version of a region's zone list: all rows or none (row-level errors)."""
    region = scoped_region(op, q.region)
    data = await request.body()
    if len(data) > MAX_LIST_BYTES:
        raise Problem(413, "zones.too_large", limit=MAX_LIST_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(422, "zones.not_utf8") from None
    entries = parse_toml(text) if q.format == "toml" else parse_csv(text)
    with request.app.state.sessions.begin() as s:
        zl = publish(
            s,
            version=q.version,
            region_code=region,
            published_on=q.published_on,
            entries=entries,
            source=q.source,
            by=op.name,
            now=clock.now(),
        )
        areas = list(s.scalars(select(ZoneArea).where(ZoneArea.list_id == zl.id)))
        return _out(zl, areas)


@router.get("/zones", response_model=list[ZoneListOut])
def list_zones(
    request: Request, op: Reader, q: Annotated[RegionQuery, Query()]
) -> list[ZoneListOut]:
    """Every published version of the lists in (or above) the caller's region, newest first."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        lists = [
            zl
            for zl in s.scalars(select(ZoneList).order_by(ZoneList.published_on.desc()))
            if zl.region_code.startswith(region) or region.startswith(zl.region_code)
        ]
        return [
            _out(zl, list(s.scalars(select(ZoneArea).where(ZoneArea.list_id == zl.id))))
            for zl in lists
        ]


@gateway_list_route(router, "zones.toml")
def gateway_zone_list(request: Request, cp: PullingCheckpoint) -> str:
    """The zone lists in force in the gateway's city (its checkpoint's first digits), as TOML."""
    scope = cp.region_code[:GATEWAY_SCOPE_DIGITS]
    today = request.app.state.clock.now().astimezone(LOCAL_TZ).date()
    with request.app.state.sessions() as s:
        zl = gateway_list(s, scope, today)
    return zonelist.to_toml(zl, f"Zone list for checkpoint {cp.checkpoint_id}.")
