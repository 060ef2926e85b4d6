"""Contact directory routes: every role reads its region's directory (phones masked);
admins and operators edit it, import sheets and reveal a phone (audited)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud import audit
from coalguard.cloud.api.deps import (
    ClockDep,
    ContactEditor,
    PhoneRevealer,
    Reader,
    RegionQuery,
    RowId,
    Span,
)
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.api.uploads import import_sheet
from coalguard.cloud.auth import Operator
from coalguard.cloud.contacts import importer
from coalguard.cloud.contacts.directory import (
    ROLES,
    ContactIn,
    ContactPatch,
    add_contact,
    open_phone,
    place_of,
    update_contact,
)
from coalguard.cloud.contacts.rota import ShiftIn, add_shift, on_duty
from coalguard.cloud.contacts.schemas import (
    ContactOut,
    ImportOut,
    RevealOut,
    ShiftOut,
    contact_out,
    shift_out,
)
from coalguard.cloud.contacts.tables import Contact, DutyShift
from coalguard.cloud.privacy import for_caller
from coalguard.cloud.scope import scoped_region

router = APIRouter(prefix="/api/v1", tags=["contacts"])
Role = Literal[ROLES]  # type: ignore[valid-type]


def _contact(s: Session, op: Operator, contact_id: int) -> Contact:
    c = s.get(Contact, contact_id)
    if c is None or not op.covers(c.region_code):
        raise Problem(404, "contacts.not_found", contact_id=contact_id)
    return c


def _shift(s: Session, op: Operator, shift_id: int) -> DutyShift:
    sh = s.get(DutyShift, shift_id)
    if sh is None or not op.covers(sh.region_code):
        raise Problem(404, "contacts.shift_not_found", shift_id=shift_id)
    return sh


def _answer(view: BaseModel | list[Any], op: Operator, status: int = 200) -> JSONResponse:
    """A view as JSON, names masked unless ``op`` may see them (``privacy.for_caller``;
    returned as is, so the response model does not serialize it again, masked)."""
    if isinstance(view, list):
        return JSONResponse([for_caller(v, op.sees_personal_data) for v in view], status)
    return JSONResponse(for_caller(view, op.sees_personal_data), status)


def _covered(op: Operator, region: str) -> None:
    if not op.covers(region):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")


class ContactQuery(RegionQuery):
    role: Role | None = None
    device_id: str | None = None
    include_inactive: bool = False
    limit: int = Field(1000, ge=1, le=10_000)


@router.get("/contacts", response_model=list[ContactOut])
def list_contacts(
    request: Request, op: Reader, q: Annotated[ContactQuery, Query()]
) -> JSONResponse:
    """The directory of a region (default: the caller's): names masked unless the caller
    may see personal data, phones always masked."""
    region = scoped_region(op, q.region)
    stmt = select(Contact).where(Contact.region_code.startswith(region))
    if q.role:
        stmt = stmt.where(Contact.role == q.role)
    if q.device_id:
        stmt = stmt.where(Contact.device_id == q.device_id)
    if not q.include_inactive:
        stmt = stmt.where(Contact.active)
    stmt = stmt.order_by(Contact.region_code, Contact.role, Contact.id).limit(q.limit)
    with request.app.state.sessions() as s:
        rows = s.scalars(stmt)
        return _answer([contact_out(c) for c in rows], op)


@router.post("/contacts", status_code=201, response_model=ContactOut, responses=problems(403))
def create_contact(
    request: Request, op: ContactEditor, clock: ClockDep, body: ContactIn
) -> JSONResponse:
    """Add a person to the directory (a household's contact: at most three per alarm)."""
    with request.app.state.sessions.begin() as s:
        _covered(op, place_of(s, body)[0])
        c = add_contact(s, request.app.state.keyring, body, clock.now())
        return _answer(contact_out(c), op, 201)


@router.patch("/contacts/{contact_id}", response_model=ContactOut, responses=problems(404))
def patch_contact(
    request: Request, op: ContactEditor, clock: ClockDep, contact_id: RowId, body: ContactPatch
) -> JSONResponse:
    """Change a contact's name, relation, phone, or whether it is reached."""
    with request.app.state.sessions.begin() as s:
        c = update_contact(
            s, request.app.state.keyring, _contact(s, op, contact_id), body, clock.now()
        )
        return _answer(contact_out(c), op)


@router.post(
    "/contacts/{contact_id}/deactivate", response_model=ContactOut, responses=problems(404)
)
def deactivate_contact(
    request: Request, op: ContactEditor, clock: ClockDep, contact_id: RowId
) -> JSONResponse:
    """Stop reaching a contact (kept for the record; a re-send by id still finds it)."""
    patch = ContactPatch(active=False)
    with request.app.state.sessions.begin() as s:
        c = update_contact(
            s, request.app.state.keyring, _contact(s, op, contact_id), patch, clock.now()
        )
        return _answer(contact_out(c), op)


@router.post("/contacts/{contact_id}/reveal", response_model=RevealOut, responses=problems(404))
def reveal_phone(
    request: Request, op: PhoneRevealer, clock: ClockDep, contact_id: RowId
) -> RevealOut:
    """The plain phone of one contact; the audit log records who asked for whose, and when."""
    with request.app.state.sessions.begin() as s:
        c = _contact(s, op, contact_id)
        phone = open_phone(c, request.app.state.keyring)
        audit.record(
            s,
            op.name,
            f"reveal phone of contact {c.id}",
            role=op.role,
            actor_region=op.region_prefix,
            status=200,
            detail={"contact_id": c.id, "contact_role": c.role, "region_code": c.region_code},
            at=clock.now(),
        )
    return RevealOut(contact_id=contact_id, phone=phone)


@router.post("/contacts/import", response_model=ImportOut, responses=problems(413))
async def import_contacts(
    request: Request,
    op: ContactEditor,
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
            s, request.app.state.keyring, rows, now, commit=commit, covers=op.covers
        ),
    )


class ShiftQuery(RegionQuery, Span):
    include_cancelled: bool = False
    limit: int = Field(1000, ge=1, le=10_000)


@router.get("/duty-shifts", response_model=list[ShiftOut])
def list_shifts(request: Request, op: Reader, q: Annotated[ShiftQuery, Query()]) -> JSONResponse:
    """The township on-call rota of a region, by start time (``since``/``until``: overlapping)."""
    region = scoped_region(op, q.region)
    stmt = (
        select(DutyShift, Contact)
        .join(Contact, Contact.id == DutyShift.contact_id)
        .where(DutyShift.region_code.startswith(region))
    )
    if q.since:
        stmt = stmt.where(DutyShift.ends_at > q.since)
    if q.until:
        stmt = stmt.where(DutyShift.starts_at < q.until)
    if not q.include_cancelled:
        stmt = stmt.where(DutyShift.active)
    stmt = stmt.order_by(DutyShift.starts_at, DutyShift.id).limit(q.limit)
    with request.app.state.sessions() as s:
        return _answer([shift_out(sh, c) for sh, c in s.execute(stmt)], op)


@router.post("/duty-shifts", status_code=201, response_model=ShiftOut, responses=problems(404))
def create_shift(
    request: Request, op: ContactEditor, clock: ClockDep, body: ShiftIn
) -> JSONResponse:
    """Put a township duty officer on call from ``starts_at`` to ``ends_at``."""
    with request.app.state.sessions.begin() as s:
        officer = _contact(s, op, body.contact_id)
        sh = add_shift(s, body, clock.now())
        return _answer(shift_out(sh, officer), op, 201)


@router.post("/duty-shifts/{shift_id}/cancel", response_model=ShiftOut, responses=problems(404))
def cancel_shift(request: Request, op: ContactEditor, shift_id: RowId) -> JSONResponse:
    """Take a shift off the rota."""
    with request.app.state.sessions.begin() as s:
        sh = _shift(s, op, shift_id)
        sh.active = False
        officer = s.get(Contact, sh.contact_id)
        assert officer is not None
        return _answer(shift_out(sh, officer), op)


class OnDutyQuery(RegionQuery):
    at: AwareDatetime | None = None


@router.get("/duty-shifts/on-duty", response_model=list[ContactOut], responses=problems(422))
def who_is_on_duty(
    request: Request, op: Reader, clock: ClockDep, q: Annotated[OnDutyQuery, Query()]
) -> JSONResponse:
    """The duty officers on call in a township (``region``, 9 digits) now or ``at``."""
    township = scoped_region(op, q.region)
    if len(township) != 9:
        raise Problem(422, "contacts.township_code", region=township)
    with request.app.state.sessions() as s:
        rows = on_duty(s, township, q.at or clock.now())
        return _answer([contact_out(c) for c in rows], op)
