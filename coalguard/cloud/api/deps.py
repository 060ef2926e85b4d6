"""What a cloud route may ask FastAPI for: settings, clock, database session, caller.

Routes take these as annotated parameters instead of reaching into
``request.app.state``, so a test can hand any of them over (a ``ManualClock``
at a chosen time, other settings) and a route reads as what it needs. Who may
call is declared with ``access.allow`` (the role matrix test reads it back);
the aliases below name the usual groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.access import (
    ALERT_ACTORS,
    COMMISSIONERS,
    CONTACT_EDITORS,
    EVERY_ROLE,
    HOUSEHOLD_ADDERS,
    HOUSEHOLD_EDITORS,
    HOUSEHOLD_READERS,
    HOUSEHOLD_REVEALERS,
    PHONE_REVEALERS,
    REFERRAL_ACKERS,
    REGION_IMPORTERS,
    allow,
)
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.auth import Operator, Role
from coalguard.cloud.scope import aware
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import Clock


def get_settings(request: Request) -> CloudSettings:
    """The one settings object this process validated at start."""
    return request.app.state.settings


def get_clock(request: Request) -> Clock:
    """The app's clock (``SystemClock`` in service, ``ManualClock`` in tests)."""
    return request.app.state.clock


def get_sessionmaker(request: Request) -> sessionmaker:
    """For routes that open more than one transaction or choose read vs write."""
    return request.app.state.sessions


def get_db(request: Request) -> Iterator[Session]:
    """A read session closed after the response (writes use ``SessionMakerDep.begin()``)."""
    with request.app.state.sessions() as s:
        yield s


SettingsDep = Annotated[CloudSettings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SessionMakerDep = Annotated[sessionmaker, Depends(get_sessionmaker)]
SessionDep = Annotated[Session, Depends(get_db)]

# The caller, by what it may do (each one declares the route's roles once).
Reader = Annotated[Operator, allow(*EVERY_ROLE)]
AlertActor = Annotated[Operator, allow(*ALERT_ACTORS)]
DeviceWriter = Annotated[Operator, allow(*COMMISSIONERS)]
Staff = Annotated[Operator, allow(Role.ADMIN, Role.OPERATOR)]
Admin = Annotated[Operator, allow(Role.ADMIN)]
Office = Annotated[Operator, allow(*REFERRAL_ACKERS)]
ContactEditor = Annotated[Operator, allow(*CONTACT_EDITORS)]
HouseholdReader = Annotated[Operator, allow(*HOUSEHOLD_READERS)]
HouseholdAdder = Annotated[Operator, allow(*HOUSEHOLD_ADDERS)]
HouseholdEditor = Annotated[Operator, allow(*HOUSEHOLD_EDITORS)]
HouseholdRevealer = Annotated[Operator, allow(*HOUSEHOLD_REVEALERS)]
PhoneRevealer = Annotated[Operator, allow(*PHONE_REVEALERS)]
RegionImporter = Annotated[Operator, allow(*REGION_IMPORTERS)]


# A row id in a path (``/contacts/{contact_id}``): within the database's INTEGER, so an
# absurd number is a 422 naming the field, not an overflow in the driver (a 500).
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=0, le=MAX_ROW_ID)]
# The same bound for a row id a list is filtered by (``?plan_id=``).
QueryRowId = Annotated[int | None, Field(None, ge=0, le=MAX_ROW_ID)]


# Query parameters many list routes share: a route's query model builds on these
# (``q: Annotated[Model, Query()]``) instead of repeating them in each signature.


class RegionQuery(BaseModel):
    """``region``: a prefix within the caller's own (``scope.scoped_region``; default: theirs)."""

    region: str | None = None


class Span(BaseModel):
    """A time range, ``since`` inclusive, ``until`` exclusive; a time without a zone is UTC."""

    since: datetime | None = None
    until: datetime | None = None

    _utc = field_validator("since", "until")(aware)


class Listing(RegionQuery):
    """The rows of one checkpoint (default: all in the region), newest first, at most ``limit``."""

    checkpoint: str | None = None
    limit: int = Field(200, ge=1, le=5000)


_Row = TypeVar("_Row")


def one_in_region(
    s: Session,
    op: Operator,
    model: type[_Row],
    row_id: Any,
    region: Callable[[_Row], str],
    missing: str,
    **params: Any,
) -> _Row:
    """Row ``row_id`` of ``model``, or the 404 ``missing`` (with ``params``) when there is
    none or it lies outside the caller's region: one answer for both, so nobody learns
    which ids another region holds."""
    row = s.get(model, row_id)
    if row is None or not op.covers(region(row)):
        raise Problem(404, missing, **params)
    return row
