"""Grid patrols (docs/patrols.md): the grid tree, patrol records with photos from a
phone, the pre-season sweep's progress; the phone's page ``/patrols/new`` and the
campaign page ``/patrols/campaigns/{id}``.

Grid members sign in with the ``grid`` role, scoped to their grid's region: they record
patrols and photos there and read it; operators and admins keep grids and campaigns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.access import GRID_KEEPERS, PATROL_RECORDERS, allow, allow_page
from coalguard.cloud.api.deps import ClockDep, Reader, RegionQuery, RowId
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.api.routes.dashboard import Viewer, not_found_page, render_page
from coalguard.cloud.api.uploads import bounded_body
from coalguard.cloud.auth import Operator
from coalguard.cloud.contacts.tables import Contact
from coalguard.cloud.patrols.campaign import (
    CampaignError,
    Progress,
    mark_done,
    open_campaign,
    progress,
)
from coalguard.cloud.patrols.frequency import GRID_ROLES, GridRole
from coalguard.cloud.patrols.grids import (
    GridError,
    GridNode,
    add_grid,
    add_member,
    grid_for,
    grid_tree,
    role_of_user,
)
from coalguard.cloud.patrols.photos import MAX_PHOTO_BYTES, PhotoRefused, store_photo
from coalguard.cloud.patrols.records import (
    PatrolIn,
    households_of,
    photos_of,
    recent_patrols,
    record_patrol,
)
from coalguard.cloud.patrols.tables import Campaign, Grid, GridMember, PatrolRecord
from coalguard.cloud.privacy import mask_name
from coalguard.cloud.scope import scoped_region

router = APIRouter(tags=["patrols"])
Keeper = Annotated[Operator, allow(*GRID_KEEPERS)]
Recorder = Annotated[Operator, allow(*PATROL_RECORDERS)]
RecorderPage = Annotated[Operator, allow_page(*PATROL_RECORDERS)]
Region = Annotated[str, Path(pattern=r"^[0-9]{12}$")]
API = "/api/v1/patrols"


class GridIn(BaseModel):
    region_code: str = Field(pattern=r"^[0-9]{6,12}$")
    name: str = Field("", max_length=200)
    video_cover: bool = True


class MemberIn(BaseModel):
    contact_id: int = Field(ge=1)
    grid_role: GridRole
    user_name: str | None = Field(None, min_length=1, max_length=64)


class MemberOut(BaseModel):
    contact_id: int
    grid_role: str
    name: str
    phone_masked: str
    user_name: str | None


class GridOut(BaseModel):
    id: int
    region_code: str
    name: str
    video_cover: bool
    members: list[MemberOut] = []
    children: list[GridOut] = []


class PhotoOut(BaseModel):
    sha256: str
    content_type: str
    size: int


class PatrolOut(BaseModel):
    id: int
    grid_id: int
    region_code: str
    grid_role: str
    patrolled_by: str
    patrolled_at: datetime
    household_ids: list[int]
    households_seen: int
    findings: str
    loose_coal_found: bool
    campaign_id: int | None
    photos: list[str]


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    region_code: str = Field(pattern=r"^[0-9]{6,12}$")
    starts_on: date
    ends_on: date
    villages: list[Annotated[str, Field(pattern=r"^[0-9]{12}$")]] | None = Field(
        None, max_length=5000
    )


class VillageOut(BaseModel):
    village_code: str
    status: str
    patrols: int
    households_seen: int
    loose_coal_found: int


class ProgressOut(BaseModel):
    id: int
    name: str
    region_code: str
    starts_on: date
    ends_on: date
    villages: int
    started: int
    done: int
    share_done: float
    by_village: list[VillageOut]


def _member_out(m: GridMember, c: Contact, op: Operator) -> MemberOut:
    return MemberOut(
        contact_id=c.id,
        grid_role=m.grid_role,
        name=c.name if op.sees_personal_data else mask_name(c.name),
        phone_masked=c.phone_masked,
        user_name=m.user_name,
    )


def _grid_out(node: GridNode, op: Operator) -> GridOut:
    g = node.grid
    return GridOut(
        id=g.id,
        region_code=g.region_code,
        name=g.name,
        video_cover=g.video_cover,
        members=[_member_out(m, c, op) for m, c in node.members],
        children=[_grid_out(n, op) for n in node.children],
    )


def _patrol_out(s: Session, r: PatrolRecord) -> PatrolOut:
    return PatrolOut(
        id=r.id,
        grid_id=r.grid_id,
        region_code=r.region_code,
        grid_role=r.grid_role,
        patrolled_by=r.patrolled_by,
        patrolled_at=r.patrolled_at,
        household_ids=households_of(s, r.id),
        households_seen=r.households_seen,
        findings=r.findings,
        loose_coal_found=r.loose_coal_found,
        campaign_id=r.campaign_id,
        photos=photos_of(s, r.id),
    )


def _progress_out(p: Progress) -> ProgressOut:
    c = p.campaign
    return ProgressOut(
        id=c.id,
        name=c.name,
        region_code=c.region_code,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        villages=len(p.villages),
        started=p.started,
        done=p.done,
        share_done=p.share_done,
        by_village=[VillageOut(**v.__dict__) for v in p.villages],
    )


def _grid(s: Session, op: Operator, region_code: str) -> Grid:
    grid = grid_for(s, scoped_region(op, region_code))
    if grid is None:
        raise Problem(404, "patrols.no_grid", region=region_code)
    return grid


def _sees(op: Operator, c: Campaign) -> bool:
    """A campaign of the caller's region, or one over it (a village sees its county's sweep)."""
    return op.covers(c.region_code) or op.region_prefix.startswith(c.region_code)


def _campaign(s: Session, op: Operator, campaign_id: int) -> Campaign:
    c = s.get(Campaign, campaign_id)
    if c is None or not _sees(op, c):
        raise Problem(404, "patrols.no_campaign", campaign=campaign_id)
    return c


@router.post(f"{API}/grids", status_code=201, response_model=GridOut, responses=problems(409))
def create_grid(request: Request, op: Keeper, clock: ClockDep, body: GridIn) -> GridOut:
    """A grid for a village, township or county of the caller's region."""
    region = scoped_region(op, body.region_code)
    with request.app.state.sessions.begin() as s:
        try:
            g = add_grid(s, region, body.name, body.video_cover, clock.now())
        except GridError as e:
            raise Problem(409, e.key, **e.params) from None
        return _grid_out(GridNode(g), op)


@router.post(
    f"{API}/grids/{{region_code}}/members",
    status_code=201,
    response_model=MemberOut,
    responses=problems(404, 409),
)
def create_member(
    request: Request, op: Keeper, clock: ClockDep, region_code: Region, body: MemberIn
) -> MemberOut:
    """Give a directory contact a grid role (网格长, 网格员, 村委委员, 协查员)."""
    with request.app.state.sessions.begin() as s:
        g = _grid(s, op, region_code)
        try:
            m = add_member(s, g, body.contact_id, body.grid_role, clock.now(), body.user_name)
        except GridError as e:
            raise Problem(409, e.key, **e.params) from None
        contact = s.get(Contact, m.contact_id)
        assert contact is not None  # add_member checked it
        return _member_out(m, contact, op)


@router.get(f"{API}/grids", response_model=list[GridOut])
def list_grids(request: Request, op: Reader, q: Annotated[RegionQuery, Query()]) -> list[GridOut]:
    """The grid tree of a region: county → township → village grids with their members."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return [_grid_out(n, op) for n in grid_tree(s, region)]


@router.post(
    f"{API}/photos", status_code=201, response_model=PhotoOut, responses=problems(413, 415)
)
async def upload_photo(
    request: Request,
    op: Recorder,
    clock: ClockDep,
    region: Annotated[str, Query(pattern=r"^[0-9]{6,12}$")],
) -> PhotoOut:
    """A patrol photo's bytes (JPEG, PNG or WebP, at most 4 MiB): kept once by SHA-256."""
    region = scoped_region(op, region)
    data = await bounded_body(request, MAX_PHOTO_BYTES, "patrols.photo_too_large")
    with request.app.state.sessions.begin() as s:
        try:
            p = store_photo(s, data, region, op.name, clock.now())
        except PhotoRefused as e:
            raise Problem(e.status, e.key, **e.params) from None
        return PhotoOut(sha256=p.sha256, content_type=p.content_type, size=p.size)


@router.post(f"{API}", status_code=201, response_model=PatrolOut, responses=problems(404, 409))
def create_patrol(request: Request, op: Recorder, clock: ClockDep, body: PatrolIn) -> PatrolOut:
    """A patrol recorded on a phone: clears the grid's overdue alert it satisfies."""
    with request.app.state.sessions.begin() as s:
        g = _grid(s, op, body.region_code)
        if body.campaign_id is not None:
            _campaign(s, op, body.campaign_id)
        try:
            r = record_patrol(s, g, body, op.name, clock.now())
        except (GridError, CampaignError) as e:
            raise Problem(409, e.key, **e.params) from None
        return _patrol_out(s, r)


@router.get(f"{API}", response_model=list[PatrolOut])
def list_patrols(
    request: Request, op: Reader, q: Annotated[RegionQuery, Query()]
) -> list[PatrolOut]:
    """The latest patrols of a region, newest first."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return [_patrol_out(s, r) for r in recent_patrols(s, region)]


@router.post(
    f"{API}/campaigns", status_code=201, response_model=ProgressOut, responses=problems(409)
)
def create_campaign(request: Request, op: Keeper, body: CampaignIn, clock: ClockDep) -> ProgressOut:
    """The pre-season sweep (大起底、大排查、大清理) over a region's villages."""
    region = scoped_region(op, body.region_code)
    with request.app.state.sessions.begin() as s:
        try:
            c = open_campaign(
                s, body.name, region, body.starts_on, body.ends_on, op.name, clock.now(),
                body.villages,
            )  # fmt: skip
        except CampaignError as e:
            raise Problem(409, e.key, **e.params) from None
        return _progress_out(progress(s, c))


@router.get(f"{API}/campaigns/{{campaign_id}}", response_model=ProgressOut, responses=problems(404))
def campaign_progress(request: Request, op: Reader, campaign_id: RowId) -> ProgressOut:
    """The campaign's progress per village (of the caller's region)."""
    with request.app.state.sessions() as s:
        c = _campaign(s, op, campaign_id)
        return _progress_out(progress(s, c, op.region_prefix))


@router.post(
    f"{API}/campaigns/{{campaign_id}}/villages/{{village}}/done",
    response_model=ProgressOut,
    responses=problems(404, 409),
)
def village_done(
    request: Request, op: Recorder, clock: ClockDep, campaign_id: RowId, village: Region
) -> ProgressOut:
    """Sign off a village's sweep (after a patrol of the campaign reached it)."""
    scoped_region(op, village)
    with request.app.state.sessions.begin() as s:
        c = _campaign(s, op, campaign_id)
        try:
            mark_done(s, c.id, village, op.name, clock.now())
        except CampaignError as e:
            raise Problem(409, e.key, **e.params) from None
        return _progress_out(progress(s, c, op.region_prefix))


# The pages -------------------------------------------------------------------


@router.get("/patrols/new", include_in_schema=False)
def patrol_page(request: Request, op: RecorderPage) -> Response:
    """The phone's patrol form: the caller's grids, their role there, open campaigns."""
    with request.app.state.sessions() as s:
        grids = list(
            s.scalars(
                select(Grid)
                .where(Grid.region_code.startswith(op.region_prefix))
                .order_by(Grid.region_code)
                .limit(500)
            )
        )
        role = (role_of_user(s, grids[0], op.name) if grids else None) or "worker"
        today = request.app.state.clock.now().date()
        campaigns = _open_campaigns(s, op, today)
        recent = recent_patrols(s, op.region_prefix, 10)
    return render_page(
        request,
        "patrol_new.html",
        op,
        grids=grids,
        role=role,
        roles=GRID_ROLES,
        campaigns=campaigns,
        recent=recent,
        max_photo=MAX_PHOTO_BYTES,
    )


def _open_campaigns(s: Session, op: Operator, today: date) -> list[Campaign]:
    q = select(Campaign).where(Campaign.starts_on <= today, Campaign.ends_on >= today)
    return [c for c in s.scalars(q.order_by(Campaign.id)) if _sees(op, c)]


@router.get("/patrols/campaigns/{campaign_id}", include_in_schema=False)
def campaign_page(request: Request, op: Viewer, campaign_id: RowId) -> Response:
    with request.app.state.sessions() as s:
        c = s.get(Campaign, campaign_id)
        if c is None or not _sees(op, c):
            return not_found_page(request, op, "patrols.page_no_campaign", str(campaign_id))
        p = progress(s, c, op.region_prefix)
    return render_page(request, "patrol_campaign.html", op, progress=p)
