"""Clean-coal delivery (docs/delivery.md): 发改局 keeps the network and suppliers; village
and town staff keep the purchase registers; a delivery company records its slips and
seals its monthly summary; the town, 发改局 and 财政局 review it in turn."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud import templating
from coalguard.cloud.access import allow, allow_page
from coalguard.cloud.api.deps import (
    MAX_ROW_ID,
    ClockDep,
    RowId,
    SessionMakerDep,
    one_in_region,
)
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.api.routes.dashboard import not_found_page, page_lang, render_page
from coalguard.cloud.auth import Operator, Role
from coalguard.cloud.delivery import network, registers, summary
from coalguard.cloud.delivery.milestones import reserve_state
from coalguard.cloud.delivery.rates import delivery_rates
from coalguard.cloud.delivery.slips import SlipIn, SlipLine, record_slip
from coalguard.cloud.delivery.tables import (
    PurchaseRegister,
    ReserveCount,
    SalesSummary,
    Site,
    Supplier,
    SupplierUser,
)
from coalguard.cloud.scope import scoped_region
from coalguard.edge.plain import iso_or_none
from coalguard.i18n import t

router = APIRouter(prefix="/api/v1/delivery", tags=["delivery"])

NETWORK_KEEPERS = (Role.ADMIN, Role.FDRC)
REGISTER_KEEPERS = (Role.ADMIN, Role.OPERATOR)
DELIVERY_READERS = (Role.ADMIN, Role.OPERATOR, Role.FDRC, Role.FINANCE, Role.SUPPLIER)
# Who reviews a summary at each step: the town (its operators), 发改局, 财政局.
REVIEWERS = {"town": Role.OPERATOR, "fdrc": Role.FDRC, "finance": Role.FINANCE}
NetworkKeeper = Annotated[Operator, allow(*NETWORK_KEEPERS)]
RegisterKeeper = Annotated[Operator, allow(*REGISTER_KEEPERS)]
DeliveryReader = Annotated[Operator, allow(*DELIVERY_READERS)]
SupplierClerk = Annotated[Operator, allow(Role.SUPPLIER)]
Reviewer = Annotated[Operator, allow(Role.OPERATOR, Role.FDRC, Role.FINANCE)]
Season = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}$")]
Code = Annotated[str, Field(min_length=2, max_length=12)]
Tonnes = Annotated[Decimal, Field(ge=0, le=1000, max_digits=10, decimal_places=3)]
Yuan = Annotated[Decimal, Field(ge=0, le=10_000_000, max_digits=12, decimal_places=2)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SupplierIn(_In):
    name: str = Field(min_length=1, max_length=200)
    region_code: Code
    tender_no: str = Field("", max_length=64)
    tendered_on: date | None = None
    contract_no: str = Field("", max_length=64)
    contract_signed_on: date | None = None
    quality_guarantee: str = Field("", max_length=200)


class SupplierOut(SupplierIn):
    model_config = ConfigDict(extra="ignore", from_attributes=True)
    id: int


@router.post("/suppliers", status_code=201, response_model=SupplierOut)
def add_supplier(
    body: SupplierIn, op: NetworkKeeper, sessions: SessionMakerDep, clock: ClockDep
) -> Any:
    """A tendered company with its contract and quality guarantee (质量保证书)."""
    scoped_region(op, body.region_code)
    with sessions.begin() as s:
        sup = network.add_supplier(s, **body.model_dump(), now=clock.now())
        return SupplierOut.model_validate(sup)


class UserIn(_In):
    user_name: str = Field(min_length=1, max_length=64)


class BoundOut(BaseModel):
    user_name: str
    supplier_id: int


@router.post("/suppliers/{supplier_id}/users", response_model=BoundOut, responses=problems(404))
def bind_user(
    supplier_id: RowId, body: UserIn, op: NetworkKeeper, sessions: SessionMakerDep, clock: ClockDep
) -> BoundOut:
    """Let a ``supplier`` user record slips for this company (and only it)."""
    with sessions.begin() as s:
        sup = s.get(Supplier, supplier_id)
        if sup is None:
            raise Problem(404, "delivery.no_supplier", id=supplier_id)
        scoped_region(op, sup.region_code)
        row = s.get(SupplierUser, body.user_name) or SupplierUser(user_name=body.user_name)
        row.supplier_id, row.assigned_by, row.assigned_at = supplier_id, op.name, clock.now()
        s.add(row)
    return BoundOut(user_name=body.user_name, supplier_id=supplier_id)


class SiteIn(_In):
    level: Literal["centre", "station", "point"]
    region_code: Code
    name: str = Field(min_length=1, max_length=200)
    supplier_id: int | None = Field(None, ge=0, le=MAX_ROW_ID)


class SiteOut(SiteIn):
    model_config = ConfigDict(extra="ignore", from_attributes=True)
    id: int


@router.post("/sites", status_code=201, response_model=SiteOut, responses=problems(404))
def add_site(body: SiteIn, op: NetworkKeeper, sessions: SessionMakerDep, clock: ClockDep) -> Any:
    """A county centre, township station or village point (县有中心、乡有站、村有点)."""
    scoped_region(op, body.region_code)
    with sessions.begin() as s:
        return SiteOut.model_validate(network.add_site(s, **body.model_dump(), now=clock.now()))


class NetworkQuery(BaseModel):
    county: Code
    villages: list[Code] = Field(default_factory=list, max_length=5000)


class NetworkOut(BaseModel):
    sites: list[SiteOut]
    gaps: list[str]


@router.get("/network", response_model=NetworkOut)
def get_network(
    op: DeliveryReader, sessions: SessionMakerDep, q: Annotated[NetworkQuery, Query()]
) -> Any:
    """The county's sites and its gaps: townships with no station, villages with no point
    (of the villages named, or of every village with a purchase register)."""
    county = scoped_region(op, q.county)
    with sessions() as s:
        sites = s.scalars(
            select(Site).where(Site.region_code.startswith(county)).order_by(Site.region_code)
        )
        villages = q.villages or sorted(
            set(
                s.scalars(
                    select(PurchaseRegister.village_code).where(
                        PurchaseRegister.village_code.startswith(county)
                    )
                )
            )
        )
        return NetworkOut(
            sites=[SiteOut.model_validate(x) for x in sites], gaps=network.gaps(s, villages)
        )


class LineIn(_In):
    household_id: int = Field(ge=1, le=MAX_ROW_ID)
    coal_t: Tonnes
    stoves: int = Field(ge=0, le=10)
    paid_yuan: Yuan


class RegisterIn(_In):
    village_code: Code
    season: Season
    lines: list[LineIn] = Field(max_length=5000)


class RegisterOut(BaseModel):
    id: int
    village_code: str
    season: str
    status: str
    supplier_id: int | None
    lines: list[dict[str, Any]]
    steps: list[dict[str, Any]]


def _register_out(s: Session, reg: PurchaseRegister) -> RegisterOut:
    return RegisterOut(
        id=reg.id,
        village_code=reg.village_code,
        season=reg.season,
        status=reg.status,
        supplier_id=reg.supplier_id,
        lines=[
            {
                "household_id": x.household_id,
                "coal_t": str(x.coal_t),
                "stoves": x.stoves,
                "paid_yuan": str(x.paid_yuan),
            }
            for x in registers.lines_of(s, reg.id)
        ],
        steps=[
            {"status": x.status, "by": x.by, "at": iso_or_none(x.at)}
            for x in registers.steps_of(s, reg.id)
        ],
    )


@router.put("/registers", response_model=RegisterOut, responses=problems(409))
def put_register(
    body: RegisterIn, op: RegisterKeeper, sessions: SessionMakerDep, clock: ClockDep
) -> Any:
    """The village's purchase register (登记交款清单) for a season; lines replace earlier ones."""
    scoped_region(op, body.village_code)
    with sessions.begin() as s:
        reg = registers.open_register(s, body.village_code, body.season, op.name, clock.now())
        lines = [
            registers.LineIn(x.household_id, x.coal_t, x.stoves, x.paid_yuan) for x in body.lines
        ]
        registers.put_lines(s, reg, lines, clock.now())
        return _register_out(s, reg)


class AdvanceIn(_In):
    to: Literal["posted", "sent_to_town", "sent_to_supplier"]
    supplier_id: int | None = Field(None, ge=0, le=MAX_ROW_ID)


def _register(s: Session, op: Operator, register_id: int) -> PurchaseRegister:
    return one_in_region(
        s, op, PurchaseRegister, register_id, lambda r: r.village_code,
        "delivery.no_register", id=register_id,
    )  # fmt: skip


@router.post(
    "/registers/{register_id}/advance", response_model=RegisterOut, responses=problems(404, 409)
)
def advance_register(
    register_id: RowId,
    body: AdvanceIn,
    op: RegisterKeeper,
    sessions: SessionMakerDep,
    clock: ClockDep,
) -> Any:
    """Post it in the village, send it to the town, then to the supplier."""
    with sessions.begin() as s:
        reg = _register(s, op, register_id)
        registers.advance(s, reg, body.to, op.name, clock.now(), supplier_id=body.supplier_id)
        return _register_out(s, reg)


@router.get("/registers/{register_id}", response_model=RegisterOut, responses=problems(404))
def get_register(register_id: RowId, op: DeliveryReader, sessions: SessionMakerDep) -> Any:
    with sessions() as s:
        return _register_out(s, _register(s, op, register_id))


class SlipLineIn(_In):
    item: Literal["coal", "stove", "gas", "electricity", "biomass"]
    quantity: Annotated[Decimal, Field(gt=0, le=100_000, max_digits=12, decimal_places=3)]
    unit_price: Yuan


class SlipBody(_In):
    serial: str = Field(min_length=1, max_length=64)
    household_id: int = Field(ge=1, le=MAX_ROW_ID)
    village_code: Code
    season: Season
    batch_no: str = Field("", max_length=32)
    delivered_on: date
    lines: list[SlipLineIn] = Field(min_length=1, max_length=10)


class SlipOut(BaseModel):
    serial: str
    deliveries: int


def _own_supplier(s: Session, op: Operator) -> int:
    bound = s.get(SupplierUser, op.name)
    if bound is None:
        raise Problem(403, "delivery.not_a_supplier_user", user=op.name)
    return bound.supplier_id


@router.post("/slips", status_code=201, response_model=SlipOut, responses=problems(403, 404, 409))
def post_slip(body: SlipBody, op: SupplierClerk, sessions: SessionMakerDep, clock: ClockDep) -> Any:
    """A five-part slip delivered to a household (sending it again changes nothing)."""
    scoped_region(op, body.village_code)
    with sessions.begin() as s:
        slip = SlipIn(
            serial=body.serial,
            household_id=body.household_id,
            village_code=body.village_code,
            supplier_id=_own_supplier(s, op),
            batch_no=body.batch_no,
            delivered_on=body.delivered_on,
            lines=tuple(SlipLine(x.item, x.quantity, x.unit_price) for x in body.lines),
        )
        kept = record_slip(s, slip, body.season, op.name, clock.now())
        return SlipOut(serial=body.serial, deliveries=len(kept))


class RatesQuery(BaseModel):
    region: Code
    season: Season
    level: Literal["village", "township", "county"] = "village"


class RateOut(BaseModel):
    region_code: str
    registered: int
    delivered: int
    pct: float | None
    complete: bool
    waiting: list[int]


@router.get("/rates", response_model=list[RateOut])
def get_rates(
    op: DeliveryReader, sessions: SessionMakerDep, q: Annotated[RatesQuery, Query()]
) -> Any:
    """Households delivered against registered, per region of ``level``."""
    region = scoped_region(op, q.region)
    with sessions() as s:
        return [
            RateOut(
                region_code=r.region_code,
                registered=r.registered,
                delivered=r.delivered,
                pct=r.pct,
                complete=r.complete,
                waiting=r.waiting,
            )
            for r in delivery_rates(s, region, q.season, q.level)
        ]


class SealIn(_In):
    township_code: Code
    month: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class SummaryOut(BaseModel):
    id: int
    supplier_id: int
    township_code: str
    month: str
    content: dict[str, Any]
    digest: str
    status: str
    reviews: list[dict[str, Any]]


def _summary_out(s: Session, row: SalesSummary) -> SummaryOut:
    reviews = [
        {
            "step": r.step,
            "decision": r.decision,
            "reviewer": r.reviewer,
            "comment": r.comment,
            "at": iso_or_none(r.at),
        }
        for r in summary.reviews_of(s, row.id)
    ]
    return SummaryOut(
        id=row.id,
        supplier_id=row.supplier_id,
        township_code=row.township_code,
        month=row.month,
        content=row.content,
        digest=row.digest,
        status=row.status,
        reviews=reviews,
    )


@router.post("/summaries", status_code=201, response_model=SummaryOut, responses=problems(403, 409))
def seal_summary(
    body: SealIn, op: SupplierClerk, sessions: SessionMakerDep, clock: ClockDep
) -> Any:
    """The month's sales summary (销售汇总表) of a township, built from the company's slips."""
    scoped_region(op, body.township_code)
    with sessions.begin() as s:
        row = summary.seal(
            s, _own_supplier(s, op), body.township_code, body.month, op.name, clock.now()
        )
        return _summary_out(s, row)


class ReviewIn(_In):
    step: Literal["town", "fdrc", "finance"]
    decision: Literal["approved", "returned"]
    comment: str = Field("", max_length=500)


@router.post(
    "/summaries/{summary_id}/review", response_model=SummaryOut, responses=problems(403, 404, 409)
)
def review_summary(
    summary_id: RowId, body: ReviewIn, op: Reviewer, sessions: SessionMakerDep, clock: ClockDep
) -> Any:
    """The town, 发改局 and 财政局 review in turn; each only its own step."""
    if op.role != REVIEWERS[body.step]:
        raise Problem(403, "delivery.review_role", step=body.step)
    with sessions.begin() as s:
        row = _summary(s, op, summary_id)
        summary.review(s, row, body.step, body.decision, op.name, body.comment, clock.now())
        return _summary_out(s, row)


@router.get("/summaries/{summary_id}", response_model=SummaryOut, responses=problems(404))
def get_summary(summary_id: RowId, op: DeliveryReader, sessions: SessionMakerDep) -> Any:
    with sessions() as s:
        return _summary_out(s, _summary(s, op, summary_id))


def _summary(s: Session, op: Operator, summary_id: int) -> SalesSummary:
    return one_in_region(
        s, op, SalesSummary, summary_id, lambda r: r.township_code,
        "delivery.no_summary", id=summary_id,
    )  # fmt: skip


class ReserveIn(_In):
    region_code: Code
    counted_on: date
    stock_t: Annotated[Decimal, Field(ge=0, le=10_000_000, max_digits=12, decimal_places=3)]


class ReserveOut(BaseModel):
    region_code: str
    stock_t: str | None
    need_t: str | None


@router.post("/reserve", status_code=201, response_model=ReserveOut)
def count_reserve(
    body: ReserveIn, op: NetworkKeeper, sessions: SessionMakerDep, clock: ClockDep
) -> Any:
    """A count of the coal in stock for a city's reserve (Linxia: ≥ 5 days of its use)."""
    scoped_region(op, body.region_code)
    with sessions.begin() as s:
        s.add(ReserveCount(**body.model_dump(), recorded_by=op.name, recorded_at=clock.now()))
        s.flush()
        state = reserve_state(s, body.region_code)
    stock, need = state if state else (None, None)
    return ReserveOut(
        region_code=body.region_code,
        stock_t=None if stock is None else str(stock),
        need_t=None if need is None else str(need),
    )


pages = APIRouter(tags=["delivery"])
WAITING_ROLE = {status: REVIEWERS[step] for status, step in summary.WAITING_FOR.items()}


@pages.get("/delivery/summaries", include_in_schema=False)
def summaries_page(
    request: Request,
    op: Annotated[Operator, allow_page(*DELIVERY_READERS)],
    sessions: SessionMakerDep,
) -> Response:
    """The region's monthly sales summaries; the office whose step is next reviews here."""
    with sessions() as s:
        rows = []
        for row, supplier in summary.summaries_in(s, op.region_prefix):
            mine = WAITING_ROLE.get(row.status) == op.role
            rows.append(
                {
                    **_summary_out(s, row).model_dump(),
                    "supplier": supplier,
                    "my_step": summary.WAITING_FOR[row.status] if mine else None,
                }
            )
    return render_page(request, "delivery/summaries.html", op, rows=rows)


@pages.get("/delivery/registers/{register_id}/print", include_in_schema=False)
def print_register(
    request: Request,
    register_id: RowId,
    op: Annotated[Operator, allow_page(*DELIVERY_READERS)],
    sessions: SessionMakerDep,
) -> Response:
    """The purchase register to post in the village (登记交款清单), heads' names masked."""
    lang = page_lang(request, op)
    with sessions() as s:
        reg = s.get(PurchaseRegister, register_id)
        if reg is None or not op.covers(reg.village_code):
            return not_found_page(
                request, op, t("delivery.no_register", lang).format(id=register_id), ""
            )
        lines, totals = registers.posted_lines(s, reg)
        html = templating.render(
            "delivery/register.html", lang, reg=reg, lines=lines, totals=totals
        )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
