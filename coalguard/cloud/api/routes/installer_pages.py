"""The installer's phone pages (``/install…``; docs/co-alarm-mqtt.md#commissioning):
find the household, type or scan the alarm id, start the test, press the alarm's
test button, see the result and keep the printable record.

Pages only: the writes are the CO API's (``POST /api/v1/co/devices``, ``…/commissioning``)
called by ``static/installer.js``, which polls the test until it passes or fails.
Installers see household names and phones masked (``installer/records.py``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from coalguard.cloud.access import COMMISSIONERS, allow_page
from coalguard.cloud.api.deps import RowId
from coalguard.cloud.api.routes.dashboard import not_found_page, render_page
from coalguard.cloud.auth import Operator
from coalguard.cloud.installer.find import find_households, household_card, villages
from coalguard.cloud.installer.records import WAITS_FOR, recent_records, record_of

router = APIRouter(include_in_schema=False)
Commissioner = Annotated[Operator, allow_page(*COMMISSIONERS)]


@router.get("/install")
def home(request: Request, op: Commissioner, village: str = "", name: str = "") -> Response:
    """Where an installer starts: find the household in the register by village and the
    head's name (or add it), and their latest tests."""
    with request.app.state.sessions() as s:
        found = find_households(s, request.app.state.keyring, op, village, name)
        return render_page(
            request,
            "installer/home.html",
            op,
            records=recent_records(s, op),
            villages=villages(s, op),
            village=village,
            head_name=name,
            searched=bool(village),
            found=found,
        )


@router.get("/install/households/{household_id}")
def household(request: Request, op: Commissioner, household_id: RowId) -> Response:
    """One household of the register (masked): its alarm typed or scanned, and the test."""
    with request.app.state.sessions() as s:
        card = household_card(s, op, household_id)
    if card is None:
        return not_found_page(request, op, "installer.household_not_found", str(household_id))
    return render_page(
        request, "installer/household.html", op, h=card, installer=op.name, waits=WAITS_FOR
    )


@router.get("/install/new")
def new_household(request: Request, op: Commissioner) -> Response:
    """A household typed in on the spot, its alarm and the test."""
    return render_page(request, "installer/new.html", op, installer=op.name, waits=WAITS_FOR)


@router.get("/install/records/{commissioning_id}")
def record(request: Request, op: Commissioner, commissioning_id: RowId) -> Response:
    """One commissioning record (printable): result, times, alarm and household, masked."""
    with request.app.state.sessions() as s:
        rec = record_of(s, op, commissioning_id)
    if rec is None:
        return not_found_page(request, op, "installer.no_record", str(commissioning_id))
    return render_page(request, "installer/record.html", op, rec=rec, waits=WAITS_FOR)
