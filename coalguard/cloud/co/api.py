"""REST routes of the CO alarm path: alerts, devices, commissioning, season check.

Every route declares the roles it allows (``access.allow``); a token sees only
alarms whose region code starts with its prefix (an alarm outside it is 404,
not 403, so codes do not leak). Household names go out through ``DeviceOut``
and ``SeasonRow``, masked by the one policy of ``privacy.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from coalguard.cloud.access import ALERT_ACTORS, EVERY_ROLE, allow
from coalguard.cloud.auth import Operator, Role
from coalguard.cloud.co import registry
from coalguard.cloud.co.notifier import channel_health
from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.tables import CoAlert, CoDeadLetter, CoDevice, CoNotification
from coalguard.cloud.privacy import for_caller
from coalguard.cloud.scope import scoped_region
from coalguard.edge.model import utcnow
from coalguard.errors import InputError

router = APIRouter(prefix="/api/v1/co", tags=["co-alarms"])
Reader = Annotated[Operator, allow(*EVERY_ROLE)]
AlertActor = Annotated[Operator, allow(*ALERT_ACTORS)]
DeviceWriter = Annotated[Operator, allow(Role.ADMIN, Role.OPERATOR, Role.INSTALLER)]


def _settings(request: Request) -> CoSettings:
    st = getattr(request.app.state, "co_settings", None)
    if st is None:
        st = request.app.state.co_settings = CoSettings()
    return st


# The CO alerts moved to the one alert list (``alerts_api.py``: ids ``co-N``, one
# serializer, one lifecycle); the old addresses answer with a redirect there.
CoAlertRef = Annotated[
    str, Path(pattern=r"^(co-)?[0-9]{1,18}$", description="alert id: 12 or co-12")
]
_MOVED = {307: {"description": "moved to /api/v1/alerts (ids co-N)"}}
_MOVED_POST = {308: {"description": "moved to /api/v1/alerts/co-N/… (method and body kept)"}}


def _co_ref(alert_id: str) -> str:
    return alert_id if alert_id.startswith("co-") else f"co-{alert_id}"


@router.get(
    "/alerts", deprecated=True, response_class=RedirectResponse, status_code=307, responses=_MOVED
)
def list_alerts(request: Request, op: Reader) -> RedirectResponse:
    """Moved: ``GET /api/v1/alerts?source=co`` (same filters)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "source"]
    return RedirectResponse(f"/api/v1/alerts?{urlencode([*query, ('source', 'co')])}", 307)


def _moved_step(step: str) -> None:
    """``POST /alerts/{N}/{step}`` moved to ``/api/v1/alerts/co-N/{step}`` (a note goes along)."""

    def moved(op: AlertActor, alert_id: CoAlertRef) -> RedirectResponse:
        return RedirectResponse(f"/api/v1/alerts/{_co_ref(alert_id)}/{step}", 308)

    moved.__doc__ = f"Moved: ``POST /api/v1/alerts/co-{{alert_id}}/{step}``."
    router.post(
        f"/alerts/{{alert_id}}/{step}",
        name=f"co_alert_{step}",
        deprecated=True,
        response_class=RedirectResponse,
        status_code=308,
        responses=_MOVED_POST,
    )(moved)


for _step in ("ack", "resolve"):
    _moved_step(_step)


@router.post("/devices", status_code=201)
def register_device(
    request: Request, op: DeviceWriter, reg: registry.Registration
) -> dict[str, Any]:
    """Bind an alarm to a household (installer or operator of that region)."""
    if not op.covers(reg.household.village_code):
        raise HTTPException(403, f"token is limited to region {op.region_prefix or '(all)'}")
    with request.app.state.sessions.begin() as s:
        dev = s.get(CoDevice, reg.device_id)
        if dev is not None and dev.registered and not op.covers(dev.region_code):
            raise HTTPException(409, f"device {reg.device_id} is registered in another region")
        dev = registry.register(s, reg, _settings(request).phone_hash_key, utcnow())
        return for_caller(registry.device_view(dev), op.sees_personal_data)


def _device(s, op: Operator, device_id: str) -> CoDevice:  # type: ignore[no-untyped-def]
    dev = s.get(CoDevice, device_id)
    if dev is None or not op.covers(dev.region_code):
        raise HTTPException(404, f"no device {device_id}")
    return dev


@router.get("/devices/{device_id}")
def get_device(request: Request, op: Reader, device_id: str) -> dict[str, Any]:
    with request.app.state.sessions() as s:
        return for_caller(registry.device_view(_device(s, op, device_id)), op.sees_personal_data)


@router.get("/devices")
def list_devices(
    request: Request,
    op: Reader,
    region: str | None = None,
    registered: bool | None = None,
    limit: int = Query(500, ge=1, le=10000),
) -> list[dict[str, Any]]:
    region = scoped_region(op, region)
    q = select(CoDevice).where(CoDevice.region_code.startswith(region))
    if registered is not None:
        q = q.where(CoDevice.registered.is_(registered))
    with request.app.state.sessions() as s:
        return [
            for_caller(registry.device_view(d), op.sees_personal_data)
            for d in s.scalars(q.order_by(CoDevice.device_id).limit(limit))
        ]


class TestStart(BaseModel):
    installer_id: str = Field(min_length=1, max_length=64)
    timeout_s: float | None = Field(None, gt=0, le=3600)


@router.post("/devices/{device_id}/commissioning", status_code=201)
def start_commissioning(
    request: Request, op: DeviceWriter, device_id: str, body: TestStart
) -> dict:
    """Start a test: the cloud now waits for the device's test event and a fresh state."""
    timeout = body.timeout_s or _settings(request).commission_timeout_s
    with request.app.state.sessions.begin() as s:
        _device(s, op, device_id)
        try:
            c = registry.start_test(s, device_id, body.installer_id, utcnow(), timeout)
        except InputError as exc:
            raise HTTPException(409, str(exc)) from None
        return registry.commissioning_view(c, utcnow())


@router.get("/devices/{device_id}/commissioning")
def commissioning_status(request: Request, op: Reader, device_id: str) -> list[dict[str, Any]]:
    from coalguard.cloud.co.tables import CoCommissioning

    with request.app.state.sessions() as s:
        _device(s, op, device_id)
        rows = s.scalars(
            select(CoCommissioning)
            .where(CoCommissioning.device_id == device_id)
            .order_by(CoCommissioning.id.desc())
        )
        now = utcnow()
        return [registry.commissioning_view(c, now) for c in rows]


@router.get("/season-check", response_model=None)
def season_check(
    request: Request,
    op: Reader,
    since: datetime,
    season_start: datetime | None = None,
    region: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | PlainTextResponse:
    """Per village: alarms not heard from since ``since``, not tested, low battery, expired."""
    region = scoped_region(op, region)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    season_start = season_start or since
    season_start = season_start if season_start.tzinfo else season_start.replace(tzinfo=UTC)
    with request.app.state.sessions() as s:
        found = registry.season_check(s, region, since, season_start)
        rows = [for_caller(r, op.sees_personal_data) for r in found]
        if format == "csv":
            return PlainTextResponse(
                registry.season_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="season-check.csv"'},
            )
        return {
            "region": region,
            "since": since.isoformat(),
            "season_start": season_start.isoformat(),
            "villages": registry.season_summary(found, s, region),
            "alarms": rows,
        }


@router.get("/dead-letters")
def dead_letters(
    request: Request,
    op: Annotated[Operator, allow(Role.ADMIN, Role.OPERATOR)],
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    if op.region_prefix:
        raise HTTPException(403, "dead letters are visible to national-scope tokens only")
    with request.app.state.sessions() as s:
        total = s.scalar(select(func.count()).select_from(CoDeadLetter))
        rows = s.scalars(select(CoDeadLetter).order_by(CoDeadLetter.id.desc()).limit(limit))
        return {
            "total": total,
            "items": [
                {
                    "id": d.id,
                    "received_at": d.received_at.isoformat(),
                    "topic": d.topic,
                    "device_id": d.device_id,
                    "payload_hex": d.payload[:512].hex(),
                    "reason": d.reason,
                }
                for d in rows
            ],
        }


@router.get("/channels")
def channels(request: Request, op: Reader) -> list[dict[str, Any]]:
    """Delivery health per channel: pending/sent/failed and the latest error."""
    with request.app.state.sessions() as s:
        return channel_health(s)


@router.get("/alerts/{alert_id}/notifications")
def notifications(request: Request, op: Reader, alert_id: CoAlertRef) -> list[dict[str, Any]]:
    with request.app.state.sessions() as s:
        alert = s.get(CoAlert, int(alert_id.removeprefix("co-")))
        if alert is None or not op.covers(alert.region_code):
            raise HTTPException(404, f"no alert {alert_id}")
        rows = s.scalars(
            select(CoNotification)
            .where(CoNotification.alert_id == alert.id)
            .order_by(CoNotification.id)
        )
        return [
            {
                "id": n.id,
                "channel": n.channel,
                "level": n.level,
                "reason": n.reason,
                "status": n.status,
                "attempts": n.attempts,
                "created_at": n.created_at.isoformat(),
                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                "last_error": n.last_error,
            }
            for n in rows
        ]
