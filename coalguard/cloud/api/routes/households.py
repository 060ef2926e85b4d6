"""Household register routes: read a region's households and per-village coverage (masked),
add one (installers too), edit, re-verify, import sheets and reveal the head's data (audited)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session

from coalguard.cloud import audit
from coalguard.cloud.api.deps import (
    ClockDep,
    HouseholdAdder,
    HouseholdEditor,
    HouseholdReader,
    HouseholdRevealer,
    RegionQuery,
    RowId,
)
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.api.uploads import import_sheet
from coalguard.cloud.auth import Operator
from coalguard.cloud.households import importer
from coalguard.cloud.households.register import (
    HouseholdFields,
    HouseholdIn,
    add_household,
    find,
    open_head,
    update_household,
    verify,
)
from coalguard.cloud.households.schemas import (
    CoverageOut,
    HouseholdDetailOut,
    HouseholdOut,
    ImportOut,
    RevealOut,
    VerificationIn,
    coverage_rows,
    detail_of,
    household_rows,
)
from coalguard.cloud.households.tables import Household
from coalguard.cloud.scope import scoped_region

router = APIRouter(prefix="/api/v1", tags=["households"])


def household_in_scope(s: Session, op: Operator, household_id: int) -> Household:
    """The household, or 404 when it does not exist or lies outside the caller's region."""
    h = s.get(Household, household_id)
    if h is None or not op.covers(h.village_code):
        raise Problem(404, "households.not_found", household_id=household_id)
    return h


def _covered(op: Operator, region: str) -> None:
    if not op.covers(region):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")


class HouseholdQuery(RegionQuery):
    category: str | None = Field(None, max_length=32)
    limit: int = Field(2000, ge=1, le=20_000)


@router.get("/households", response_model=list[HouseholdOut])
def list_households(
    request: Request, op: HouseholdReader, q: Annotated[HouseholdQuery, Query()]
) -> list[HouseholdOut]:
    """A region's households (a village code: that village), personal data masked."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return household_rows(s, region, q.category, q.limit)


@router.get("/households/coverage", response_model=list[CoverageOut])
def household_coverage(
    request: Request, op: HouseholdReader, q: Annotated[RegionQuery, Query()]
) -> list[CoverageOut]:
    """Per village: new coal households with a commissioned alarm (target 100 %), on clean
    coal, trained, re-verified."""
    region = scoped_region(op, q.region)
    with request.app.state.sessions() as s:
        return coverage_rows(s, region)


@router.post(
    "/households", status_code=201, response_model=HouseholdDetailOut, responses=problems(403, 409)
)
def create_household(
    request: Request, op: HouseholdAdder, clock: ClockDep, body: HouseholdIn
) -> HouseholdDetailOut:
    """Add a household; 409 when its ID number (or phone in the village) is already on file."""
    _covered(op, body.village_code)
    keyring = request.app.state.keyring
    with request.app.state.sessions.begin() as s:
        known = find(s, keyring, body.village_code, body.id_number, body.phone)
        if known is not None:
            raise Problem(409, "households.already_known", household_id=known.id)
        h = add_household(s, keyring, body, op.name, clock.now())
        return detail_of(s, h)


@router.get(
    "/households/{household_id}", response_model=HouseholdDetailOut, responses=problems(404)
)
def get_household(request: Request, op: HouseholdReader, household_id: RowId) -> HouseholdDetailOut:
    """One household with its alarms, coal purchases (five-part forms) and re-verifications."""
    with request.app.state.sessions() as s:
        return detail_of(s, household_in_scope(s, op, household_id))


@router.patch(
    "/households/{household_id}", response_model=HouseholdDetailOut, responses=problems(403, 404)
)
def patch_household(
    request: Request,
    op: HouseholdEditor,
    clock: ClockDep,
    household_id: RowId,
    body: HouseholdFields,
) -> HouseholdDetailOut:
    """Change what the register holds about a household (fields left out stay)."""
    if body.village_code is not None:
        _covered(op, body.village_code)
    with request.app.state.sessions.begin() as s:
        h = household_in_scope(s, op, household_id)
        update_household(s, request.app.state.keyring, h, body, clock.now())
        return detail_of(s, h)


@router.post(
    "/households/{household_id}/verifications",
    status_code=201,
    response_model=HouseholdDetailOut,
    responses=problems(404),
)
def verify_household(
    request: Request,
    op: HouseholdEditor,
    clock: ClockDep,
    household_id: RowId,
    body: VerificationIn,
) -> HouseholdDetailOut:
    """Record a re-verification (反复核实): who confirmed the household, and when."""
    with request.app.state.sessions.begin() as s:
        h = household_in_scope(s, op, household_id)
        verify(s, h, body.confirmed_by, body.confirmed_on, op.name, clock.now(), body.note or "")
        return detail_of(s, h)


@router.post("/households/{household_id}/reveal", response_model=RevealOut, responses=problems(404))
def reveal_household(
    request: Request, op: HouseholdRevealer, clock: ClockDep, household_id: RowId
) -> RevealOut:
    """The head's plain name, ID number and phone; the audit log records who asked, when."""
    with request.app.state.sessions.begin() as s:
        h = household_in_scope(s, op, household_id)
        plain = open_head(h, request.app.state.keyring)
        audit.record(
            s,
            op.name,
            f"reveal head of household {h.id}",
            role=op.role,
            actor_region=op.region_prefix,
            status=200,
            detail={"household_id": h.id, "village_code": h.village_code},
            at=clock.now(),
        )
    return RevealOut(household_id=household_id, **plain)


@router.post("/households/import", response_model=ImportOut, responses=problems(413))
async def import_households(
    request: Request,
    op: HouseholdEditor,
    clock: ClockDep,
    commit: bool = False,
    format: Literal["csv", "xlsx"] | None = None,
) -> dict[str, Any]:
    """A CSV or .xlsx sheet as the request body: a dry run by default (row-level errors);
    with ``commit=true`` the whole file is stored, or nothing when any row is refused."""
    now = clock.now()
    return await import_sheet(
        request,
        format,
        importer.read_table,
        lambda s, rows: importer.import_rows(
            s, request.app.state.keyring, rows, op.name, now, commit=commit, covers=op.covers
        ),
    )
