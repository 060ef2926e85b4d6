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

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from coalguard.cloud.api.deps import (
    AlertActor,
    ClockDep,
    DeviceWriter,
    Reader,
    SessionDep,
    SettingsDep,
    Staff,
)
from coalguard.cloud.api.problems import Problem, request_lang
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import Operator
from coalguard.cloud.co import registry
from coalguard.cloud.co.notifier import channel_health
from coalguard.cloud.co.rules import OUTAGE_KIND
from coalguard.cloud.co.schemas import (
    ChannelHealthOut,
    CommissioningOut,
    DeadLettersOut,
    NotificationOut,
    OutageAlarmsOut,
    SeasonCheckOut,
)
from coalguard.cloud.co.tables import (
    CoAlert,
    CoDeadLetter,
    CoDevice,
    CoNotification,
    CoOutageMember,
)
from coalguard.cloud.households import season
from coalguard.cloud.privacy import for_caller, mask_name
from coalguard.cloud.scope import scoped_region
from coalguard.errors import InputError

router = APIRouter(prefix="/api/v1/co", tags=["co-alarms"])


# The CO alerts moved to the one alert list (``api/routes/alerts.py``: ids ``co-N``, one
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


# Device answers are serialized by ``for_caller`` (personal fields masked per caller), so
# the route returns that JSON as is; ``DeviceOut`` is still the declared response model.
@router.post(
    "/devices",
    status_code=201,
    response_model=registry.DeviceOut,
    responses=problems(409),
)
def register_device(
    request: Request,
    op: DeviceWriter,
    clock: ClockDep,
    reg: registry.Registration,
) -> JSONResponse:
    """Bind an alarm to a household (installer or operator of that region)."""
    if not op.covers(reg.household.village_code):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")
    with request.app.state.sessions.begin() as s:
        dev = s.get(CoDevice, reg.device_id)
        if dev is not None and dev.registered and not op.covers(dev.region_code):
            raise Problem(409, "device_elsewhere", device_id=reg.device_id)
        dev = registry.register(s, reg, request.app.state.keyring, clock.now())
        view = for_caller(registry.device_view(dev), op.sees_personal_data)
    return JSONResponse(view, status_code=201)


def _device(s, op: Operator, device_id: str) -> CoDevice:  # type: ignore[no-untyped-def]
    dev = s.get(CoDevice, device_id)
    if dev is None or not op.covers(dev.region_code):
        raise Problem(404, "no_device", device_id=device_id)
    return dev


@router.get("/devices/{device_id}", response_model=registry.DeviceOut, responses=problems(404))
def get_device(request: Request, op: Reader, device_id: str) -> JSONResponse:
    with request.app.state.sessions() as s:
        dev = _device(s, op, device_id)
        return JSONResponse(for_caller(registry.device_view(dev), op.sees_personal_data))


@router.get("/devices", response_model=list[registry.DeviceOut])
def list_devices(
    request: Request,
    op: Reader,
    region: str | None = None,
    registered: bool | None = None,
    limit: int = Query(500, ge=1, le=10000),
) -> JSONResponse:
    region = scoped_region(op, region)
    q = select(CoDevice).where(CoDevice.region_code.startswith(region))
    if registered is not None:
        q = q.where(CoDevice.registered.is_(registered))
    with request.app.state.sessions() as s:
        return JSONResponse(
            [
                for_caller(registry.device_view(d), op.sees_personal_data)
                for d in s.scalars(q.order_by(CoDevice.device_id).limit(limit))
            ]
        )


class TestStart(BaseModel):
    installer_id: str = Field(min_length=1, max_length=64)
    timeout_s: float | None = Field(None, gt=0, le=3600)


@router.post(
    "/devices/{device_id}/commissioning",
    status_code=201,
    response_model=CommissioningOut,
    responses=problems(404, 409),
)
def start_commissioning(
    request: Request,
    op: DeviceWriter,
    clock: ClockDep,
    settings: SettingsDep,
    device_id: str,
    body: TestStart,
) -> dict[str, Any]:
    """Start a test: the cloud now waits for the device's test event and a fresh state."""
    timeout = body.timeout_s or settings.co.commission_timeout_s
    now = clock.now()
    with request.app.state.sessions.begin() as s:
        _device(s, op, device_id)
        try:
            c = registry.start_test(s, device_id, body.installer_id, now, timeout)
        except InputError as exc:
            raise Problem(409, "conflict", reason=exc) from None
        return registry.commissioning_view(c, now)


@router.get(
    "/devices/{device_id}/commissioning",
    response_model=list[CommissioningOut],
    responses=problems(404),
)
def commissioning_status(
    request: Request, op: Reader, clock: ClockDep, device_id: str
) -> list[dict[str, Any]]:
    from coalguard.cloud.co.tables import CoCommissioning

    with request.app.state.sessions() as s:
        _device(s, op, device_id)
        rows = s.scalars(
            select(CoCommissioning)
            .where(CoCommissioning.device_id == device_id)
            .order_by(CoCommissioning.id.desc())
        )
        now = clock.now()
        return [registry.commissioning_view(c, now) for c in rows]


@router.get(
    "/season-check",
    response_model=SeasonCheckOut,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def season_check(
    request: Request,
    op: Reader,
    since: datetime,
    season_start: datetime | None = None,
    region: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Per village: alarms not heard from since ``since``, not tested, low battery, expired;
    and the register's new coal households with no commissioned alarm."""
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
        villages = registry.season_summary(found, s, region)
        households = season.season_households(s, region)
        season.add_to_villages(villages, households)
        return {
            "region": region,
            "since": since.isoformat(),
            "season_start": season_start.isoformat(),
            "villages": villages,
            "alarms": rows,
            "households": [h.model_dump() for h in households],
            "problem_words": season.problem_words(request_lang(request)),
        }


@router.get("/dead-letters", response_model=DeadLettersOut)
def dead_letters(
    request: Request,
    op: Staff,
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    if op.region_prefix:
        raise Problem(403, "dead_letters_national")
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


@router.get("/channels", response_model=list[ChannelHealthOut])
def channels(op: Reader, s: SessionDep) -> list[dict[str, Any]]:
    """Delivery health per channel: pending/sent/failed and the latest error."""
    return channel_health(s)


def _name(n: CoNotification, op: Operator) -> str | None:
    """The person a notification went to, masked unless the caller may see names."""
    name = ((n.body or {}).get("recipient") or {}).get("name")
    return name if not name or op.sees_personal_data else mask_name(name)


@router.get(
    "/alerts/{alert_id}/notifications",
    response_model=list[NotificationOut],
    responses=problems(404),
)
def notifications(request: Request, op: Reader, alert_id: CoAlertRef) -> list[dict[str, Any]]:
    with request.app.state.sessions() as s:
        alert = s.get(CoAlert, int(alert_id.removeprefix("co-")))
        if alert is None or not op.covers(alert.region_code):
            raise Problem(404, "no_alert", alert_id=alert_id)
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
                "who": n.who,
                "contact_id": n.contact_id,
                "recipient_name": _name(n, op),
                "step": n.step,
                "attempt": n.attempt,
                "failover_of": n.failover_of,
                "delivery_state": n.delivery_state,
                "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
                "delivery_detail": n.delivery_detail,
            }
            for n in rows
        ]


@router.get("/alerts/{alert_id}/alarms", response_model=OutageAlarmsOut, responses=problems(404))
def outage_alarms(request: Request, op: Reader, alert_id: CoAlertRef) -> dict[str, Any]:
    """The alarms an area outage counted instead of alerting each (those in the caller's
    region; an outage of a wider area, or of our own side, is seen from inside it)."""
    with request.app.state.sessions() as s:
        alert = s.get(CoAlert, int(alert_id.removeprefix("co-")))
        seen = alert is not None and (
            op.covers(alert.region_code) or op.region_prefix.startswith(alert.region_code)
        )
        if alert is None or alert.kind != OUTAGE_KIND or not seen:
            raise Problem(404, "no_alert", alert_id=alert_id)
        rows = s.execute(
            select(CoOutageMember, CoDevice)
            .join(CoDevice, CoDevice.device_id == CoOutageMember.device_id)
            .where(
                CoOutageMember.alert_id == alert.id,
                CoDevice.region_code.startswith(op.region_prefix, autoescape=True),
            )
            .order_by(CoOutageMember.device_id)
        ).all()
        return {
            "alert_id": _co_ref(alert_id),
            "area": alert.region_code,
            "count": int(alert.detail.get("count", 0)),
            "alarms": [
                {
                    "device_id": m.device_id,
                    "region_code": d.region_code,
                    "joined_at": m.joined_at.isoformat(),
                    "released_at": m.released_at.isoformat() if m.released_at else None,
                    "heard_again": d.last_heard_at is not None and d.last_heard_at > m.joined_at,
                }
                for m, d in rows
            ],
        }
