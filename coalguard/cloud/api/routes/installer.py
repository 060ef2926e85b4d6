"""The installer's one write of its own: bind an alarm to a household of the register
(``POST /api/v1/installer/households/{id}/alarm``). The installer never sees the head's
name or phone: the cloud opens them from the register and registers the alarm as
``POST /api/v1/co/devices`` would, linked to that household row. The test that follows
is the CO API's (``…/commissioning``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from coalguard.cloud.access import COMMISSIONERS, allow
from coalguard.cloud.api.deps import ClockDep, RowId
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import Operator
from coalguard.cloud.co import registry
from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.contacts.directory import mobile_number
from coalguard.cloud.households.register import HouseholdFields, open_head, update_household
from coalguard.cloud.households.tables import Household
from coalguard.cloud.privacy import for_caller

router = APIRouter(prefix="/api/v1/installer", tags=["installer"])
Commissioner = Annotated[Operator, allow(*COMMISSIONERS)]


class AlarmForHousehold(BaseModel):
    """The alarm's id; the phone only when the register has none for the household."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    device_id: str
    phone: str | None = Field(None, min_length=1, max_length=32)

    _device = field_validator("device_id")(lambda v: registry.alarm_id(v))

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return None if v is None else mobile_number(v)


@router.post(
    "/households/{household_id}/alarm",
    status_code=201,
    response_model=registry.DeviceOut,
    responses=problems(404, 409, 422),
)
def bind_alarm(
    request: Request,
    op: Commissioner,
    clock: ClockDep,
    household_id: RowId,
    body: AlarmForHousehold,
) -> JSONResponse:
    """Bind the alarm to this household of the register (masked in the answer)."""
    keyring = request.app.state.keyring
    now = clock.now()
    with request.app.state.sessions.begin() as s:
        h = s.get(Household, household_id)
        if h is None or not op.covers(h.village_code):
            raise Problem(404, "installer.household_unknown", household=household_id)
        dev = s.get(CoDevice, body.device_id)
        if dev is not None and dev.registered and not op.covers(dev.region_code or ""):
            raise Problem(409, "device_elsewhere", device_id=body.device_id)
        if body.phone and h.phone_hash is None:  # told in the farmhouse: the register keeps it
            update_household(s, keyring, h, HouseholdFields(phone=body.phone), now)
        plain = open_head(h, keyring)
        phone = plain["phone"] or body.phone
        if not phone:
            raise Problem(422, "installer.phone_needed", household=household_id)
        reg = registry.Registration(
            device_id=body.device_id,
            household=registry.Household(
                name=plain["head_name"] or "",
                address=h.address,
                village_code=h.village_code,
                phone=phone,
            ),
            installer_id=op.name,
        )
        dev = registry.register(s, reg, keyring, now)
        dev.household_id = h.id  # this row, whatever else shares the phone
        view = for_caller(registry.device_view(dev), False)
    return JSONResponse(view, status_code=201)
