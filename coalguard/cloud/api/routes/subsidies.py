"""Subsidies (docs/subsidies.md): a household's entitlement with the rule behind each
refusal; payout lists drawn per township from the ledgers, posted (公示) and paid;
allocations and the county's settlement. 财政局 draws and pays; town and village
staff read their region's lists and answer households."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from coalguard.cloud import templating
from coalguard.cloud.access import allow, allow_page
from coalguard.cloud.api.deps import ClockDep, RowId, SessionMakerDep, one_in_region
from coalguard.cloud.api.problems import Problem, request_lang
from coalguard.cloud.api.responses import XLSX_OK, XlsxResponse, problems, xlsx_download
from coalguard.cloud.api.routes.dashboard import page_lang
from coalguard.cloud.auth import Operator, Role
from coalguard.cloud.households.tables import Household
from coalguard.cloud.scope import region_level, scoped_region
from coalguard.cloud.subsidies import payouts
from coalguard.cloud.subsidies.entitle import entitle
from coalguard.cloud.subsidies.ledger import facts, facts_of
from coalguard.cloud.subsidies.posting import posting, to_xlsx
from coalguard.cloud.subsidies.schemes import load_schemes
from coalguard.cloud.subsidies.tables import PayoutList

router = APIRouter(tags=["subsidies"])

PAYERS = (Role.ADMIN, Role.FINANCE)  # draw, post and pay lists; record allocations
SUBSIDY_READERS = (Role.ADMIN, Role.FINANCE, Role.FDRC, Role.OPERATOR)
Payer = Annotated[Operator, allow(*PAYERS)]
SubsidyReader = Annotated[Operator, allow(*SUBSIDY_READERS)]
Season = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntitlementQuery(BaseModel):
    season: Season
    on: date  # the pay day


class LineOut(BaseModel):
    scheme_id: str
    item_id: str
    payer: str
    units: str
    amount: str
    slips: list[str]
    refused_by: str | None
    why: str | None
    clawback: bool


class EntitlementOut(BaseModel):
    household_id: int
    season: str
    schemes_version: str
    total: str
    by_payer: dict[str, str]
    lines: list[LineOut]


@router.get(
    "/api/v1/subsidies/households/{household_id}",
    response_model=EntitlementOut,
    responses=problems(404),
)
def household_entitlement(
    request: Request,
    household_id: RowId,
    op: SubsidyReader,
    sessions: SessionMakerDep,
    q: Annotated[EntitlementQuery, Query()],
) -> EntitlementOut:
    """What the household is entitled to as of ``on``, computed from the ledgers, each
    refused line with the rule that refused it in the reader's language."""
    lang = request_lang(request)
    with sessions() as s:
        h = one_in_region(
            s, op, Household, household_id, lambda r: r.village_code,
            "subsidies.no_household", id=household_id,
        )  # fmt: skip
        ent = entitle(facts(s, h, q.season), load_schemes(), q.season, q.on)
    return EntitlementOut(
        household_id=household_id,
        season=q.season,
        schemes_version=ent.schemes_version,
        total=f"{ent.total:f}",
        by_payer={k: f"{v:f}" for k, v in ent.by_payer().items()},
        lines=[
            LineOut(
                scheme_id=ln.scheme_id,
                item_id=ln.item_id,
                payer=ln.payer,
                units=f"{ln.units.normalize():f}",
                amount=f"{ln.amount:f}",
                slips=list(ln.slips),
                refused_by=ln.refusal.rule if ln.refusal else None,
                why=ln.refusal.text(lang) if ln.refusal else None,
                clawback=ln.clawback,
            )
            for ln in ent.lines
        ],
    )


class DrawIn(_In):
    township_code: str = Field(min_length=9, max_length=9)
    season: Season
    pay_day: date


class ListOut(BaseModel):
    id: int
    township_code: str
    season: str
    round: int
    status: str
    schemes_version: str
    total: str
    households: int
    lines: int


def _list_out(s: Any, pl: PayoutList, lang: str) -> ListOut:
    p = posting(s, pl, lang)
    return ListOut(
        id=pl.id,
        township_code=pl.township_code,
        season=pl.season,
        round=pl.round,
        status=pl.status,
        schemes_version=pl.schemes_version,
        total=p.total,
        households=p.households,
        lines=len(p.rows),
    )


@router.post(
    "/api/v1/subsidies/lists", status_code=201, response_model=ListOut, responses=problems(409)
)
def draw_list(
    request: Request, body: DrawIn, op: Payer, sessions: SessionMakerDep, clock: ClockDep
) -> ListOut:
    """The township's next payout list from the ledgers: what came due and is not yet listed."""
    scoped_region(op, body.township_code)
    if region_level(body.township_code) != "township":
        raise Problem(422, "subsidies.not_a_township", code=body.township_code)
    with sessions.begin() as s:  # a refused draw is a problem by its own key (Refusal)
        pl = payouts.draw(
            s,
            body.township_code,
            body.season,
            body.pay_day,
            load_schemes(),
            facts_of,
            op.name,
            clock.now(),
        )
        return _list_out(s, pl, request_lang(request))


def _one(s: Any, op: Operator, list_id: int) -> PayoutList:
    return one_in_region(
        s, op, PayoutList, list_id, lambda r: r.township_code, "subsidies.no_list", id=list_id
    )


class AdvanceIn(_In):
    to: Literal["posted", "paid"]


@router.post(
    "/api/v1/subsidies/lists/{list_id}/advance",
    response_model=ListOut,
    responses=problems(404, 409),
)
def advance_list(
    request: Request,
    list_id: RowId,
    body: AdvanceIn,
    op: Payer,
    sessions: SessionMakerDep,
    clock: ClockDep,
) -> ListOut:
    """Post the list publicly (公示), then mark it paid."""
    with sessions.begin() as s:
        pl = _one(s, op, list_id)
        payouts.advance(pl, body.to, clock.now())
        return _list_out(s, pl, request_lang(request))


@router.get("/api/v1/subsidies/lists/{list_id}", response_model=ListOut, responses=problems(404))
def get_list(
    request: Request, list_id: RowId, op: SubsidyReader, sessions: SessionMakerDep
) -> ListOut:
    with sessions() as s:
        return _list_out(s, _one(s, op, list_id), request_lang(request))


@router.get(
    "/api/v1/subsidies/lists/{list_id}/export.xlsx",
    response_class=XlsxResponse,
    responses={**XLSX_OK, **problems(404)},
)
def export_list(
    request: Request, list_id: RowId, op: SubsidyReader, sessions: SessionMakerDep
) -> XlsxResponse:
    """The list as Excel for posting and the bank, personal data masked."""
    lang = request_lang(request)
    with sessions() as s:
        data = to_xlsx(posting(s, _one(s, op, list_id), lang), lang)
    return xlsx_download(data, f"subsidy-list-{list_id}.xlsx")


@router.get("/subsidies/lists/{list_id}/print", include_in_schema=False)
def print_list(
    request: Request,
    list_id: RowId,
    op: Annotated[Operator, allow_page(*SUBSIDY_READERS)],
    sessions: SessionMakerDep,
) -> HTMLResponse:
    """The printed list for public posting (公示), names masked."""
    lang = page_lang(request, op)
    with sessions() as s:
        pl = s.get(PayoutList, list_id)
        if pl is None or not op.covers(pl.township_code):
            html = templating.render("subsidies/missing.html", lang, list_id=list_id)
            return HTMLResponse(html, status_code=404)
        view = posting(s, pl, lang)
    return HTMLResponse(templating.render("subsidies/posting.html", lang, p=view))


class AllocationIn(_In):
    county_code: str = Field(min_length=6, max_length=6)
    season: Season
    payer: Literal["province", "city", "county", "town"]
    amount: Annotated[Decimal, Field(ge=0, le=10_000_000_000, max_digits=14, decimal_places=2)]


class SettlementOut(BaseModel):
    county_code: str
    season: str
    payer: str
    allocated: str
    paid: str
    clawed_back: str
    balance: str


@router.put("/api/v1/subsidies/allocations", response_model=SettlementOut)
def put_allocation(
    body: AllocationIn, op: Payer, sessions: SessionMakerDep, clock: ClockDep
) -> SettlementOut:
    """Money a payer allocated to a county for a season."""
    scoped_region(op, body.county_code)
    with sessions.begin() as s:
        payouts.allocate(
            s, body.county_code, body.season, body.payer, body.amount, op.name, clock.now()
        )
        row = next(
            x for x in payouts.settlement(s, body.county_code, body.season) if x.payer == body.payer
        )
    return _settled(row)


def _settled(x: payouts.Settlement) -> SettlementOut:
    return SettlementOut(
        county_code=x.county_code,
        season=x.season,
        payer=x.payer,
        allocated=f"{x.allocated:f}",
        paid=f"{x.paid:f}",
        clawed_back=f"{x.clawed_back:f}",
        balance=f"{x.balance:f}",
    )


class SettlementQuery(BaseModel):
    county: str = Field(min_length=6, max_length=6)
    season: Season


@router.get("/api/v1/subsidies/settlement", response_model=list[SettlementOut])
def get_settlement(
    op: SubsidyReader, sessions: SessionMakerDep, q: Annotated[SettlementQuery, Query()]
) -> list[SettlementOut]:
    """Per payer: allocated, paid, clawed back, balance (paid lists only)."""
    county = scoped_region(op, q.county)
    with sessions() as s:
        return [_settled(x) for x in payouts.settlement(s, county, q.season)]
