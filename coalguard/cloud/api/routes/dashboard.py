"""Dashboard pages: login, region overview, alert list, referral cases, checkpoint detail,
alarm detail, the contact directory and the on-call rota.

Pages authenticate with the session cookie (or a bearer header) and redirect to
``/login`` without one; each declares its roles with ``allow_page``. Every
figure is region scoped like the API. Routes build a view model and render a
template of ``cloud/templates/dashboard/`` in the user's language: the user's
own setting (``PUT /api/v1/auth/me/lang``, what the page's switch calls), else
the browser's ``cg_lang`` cookie (the switch on the login page), else Chinese.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select

from coalguard.cloud import templating
from coalguard.cloud.access import EVERY_ROLE, PUBLIC, REFERRAL_ACKERS, allow_page
from coalguard.cloud.alert_list import AlertFilter, unified_alerts
from coalguard.cloud.auth import Operator
from coalguard.cloud.charts import co_line
from coalguard.cloud.checks import queries
from coalguard.cloud.checks.tables import Checkpoint, Inspection, LabSample
from coalguard.cloud.co import registry
from coalguard.cloud.co.alerts import NO_RECIPIENT
from coalguard.cloud.co.notifier import channel_health
from coalguard.cloud.co.readings import co_history
from coalguard.cloud.co.tables import CoDevice, CoNotification
from coalguard.cloud.contacts.directory import ROLES
from coalguard.cloud.dashboard import contacts_pages
from coalguard.cloud.dashboard.pages import (
    Chrome,
    Kpi,
    NotifiedRow,
    alert_rows,
    notified_rows,
    referral_row,
)
from coalguard.cloud.privacy import for_caller, mask_name
from coalguard.cloud.referrals.queries import cases_in
from coalguard.edge.clock import LOCAL_TZ

LANG_COOKIE = "cg_lang"
STATIC_TYPES = {
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "contacts.js": "text/javascript; charset=utf-8",
    "market_sales.js": "text/javascript; charset=utf-8",
    "board.js": "text/javascript; charset=utf-8",
    "market.js": "text/javascript; charset=utf-8",
    "households.js": "text/javascript; charset=utf-8",
    "installer.js": "text/javascript; charset=utf-8",
    "patrols.js": "text/javascript; charset=utf-8",
}
router = APIRouter(include_in_schema=False)

Viewer = Annotated[Operator, allow_page(*EVERY_ROLE)]


def page_lang(request: Request, op: Operator | None) -> str:
    """The user's own language, else this browser's choice, else Chinese."""
    if op is not None and op.lang:
        return templating.pick_lang(op.lang)
    return templating.pick_lang(request.cookies.get(LANG_COOKIE))


def render_page(
    request: Request, template: str, op: Operator | None, http_status: int = 200, **view: Any
) -> HTMLResponse:
    """``dashboard/<template>`` in the user's language, with the layout's chrome."""
    lang = page_lang(request, op)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    chrome = Chrome(
        lang=lang,
        here=here,
        op_name=op.name if op else None,
        region=(op.region_prefix or None) if op else None,
    )
    html = templating.render(f"dashboard/{template}", lang, chrome=chrome, **view)
    return HTMLResponse(html, status_code=http_status, headers={"Cache-Control": "no-store"})


def not_found_page(request: Request, op: Operator, message: str, subject: str) -> HTMLResponse:
    return render_page(
        request, "not_found.html", op, http_status=404, message=message, subject=subject
    )


def _today(now: datetime) -> tuple[datetime, datetime]:
    d = now.astimezone(LOCAL_TZ).date()
    start = datetime.combine(d, time(0), LOCAL_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


@router.get("/static/{name}", dependencies=[PUBLIC])
def static(name: str) -> Response:
    """The dashboard's stylesheet and script (a fixed list; nothing else is served)."""
    media = STATIC_TYPES.get(name)
    if media is None:
        return Response(status_code=404)
    body = (templating.STATIC / name).read_text(encoding="utf-8")
    return Response(body, media_type=media, headers={"Cache-Control": "no-cache"})


@router.get("/lang/{lang}", dependencies=[PUBLIC])
def switch_lang(lang: str, next: str = "/") -> Response:
    """Remember the page language for this browser and go back where the switch was.

    Signed-in pages also store it on the user first (``dashboard.js``), so the
    choice follows the user to other browsers.
    """
    # Only a path of this site: "//host" and "/\\host" would leave it.
    target = next if next.startswith("/") and next[1:2] not in ("/", "\\") else "/"
    r = RedirectResponse(target, status_code=302)
    r.set_cookie(
        LANG_COOKIE,
        templating.pick_lang(lang),
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
    )
    return r


@router.get("/login", dependencies=[PUBLIC])
def login(request: Request) -> HTMLResponse:
    return render_page(request, "login.html", None)


@router.get("/")
def overview(request: Request, op: Viewer) -> Response:
    region = op.region_prefix
    now = request.app.state.clock.now()
    since, until = _today(now)
    with request.app.state.sessions() as s:
        alerts = unified_alerts(s, region, AlertFilter(status="active", limit=500))
        total = queries.summary(s, region, since, until, now)
        by_cp = {
            r["checkpoint"]: r
            for r in queries.summary(s, region, since, until, now, by="checkpoint")
        }
        cps = queries.checkpoints_in(s, region)
        channels = channel_health(s)
        dev = s.execute(
            select(CoDevice.online, func.count())
            .where(CoDevice.registered.is_(True), CoDevice.region_code.startswith(region))
            .group_by(CoDevice.online)
        ).all()
    online = sum(n for o, n in dev if o)
    offline = sum(n for o, n in dev if not o)
    sev: dict[str, int] = {}
    for a in alerts:
        if a["status"] == "open":
            sev[a["severity"]] = sev.get(a["severity"], 0) + 1
    t = total[0] if total else {}
    high = sev.get("high", 0) + sev.get("major", 0)
    figures = [
        Kpi("dash.kpi_critical", sev.get("critical", 0), crit=bool(sev.get("critical"))),
        Kpi("dash.kpi_high", high),
        Kpi("dash.kpi_other", sum(sev.values()) - sev.get("critical", 0) - high),
        Kpi("dash.kpi_online", online),
        Kpi("dash.kpi_offline", offline, crit=offline > 0),
        Kpi("dash.kpi_checked_today", t.get("checked", 0)),
        Kpi("dash.kpi_fail_rate_today", templating.percent(t.get("fail_rate"))),
    ]
    checkpoints = [
        {
            "id": c.checkpoint_id,
            "name": c.name,
            "region_code": c.region_code,
            "last_seen": c.last_seen,
            "checked": by_cp.get(c.checkpoint_id, {}).get("checked", 0),
            "fail": by_cp.get(c.checkpoint_id, {}).get("fail", 0),
            "turned_back": by_cp.get(c.checkpoint_id, {}).get("turned_back", 0),
            "lab_overdue": by_cp.get(c.checkpoint_id, {}).get("lab_overdue", 0),
            "open_alerts": sum(1 for a in alerts if a["checkpoint_id"] == c.checkpoint_id),
        }
        for c in cps
    ]
    return render_page(
        request,
        "overview.html",
        op,
        figures=figures,
        checkpoints=checkpoints,
        alerts=alert_rows(alerts[:50], op),
        channels=channels,
    )


@router.get("/alerts")
def alerts_page(
    request: Request, op: Viewer, status: str = "active", source: str | None = None
) -> Response:
    if status not in ("active", "open", "acknowledged", "resolved"):
        status = "active"
    if source not in (None, "co", "checkpoint", "market", "patrol"):
        source = None
    with request.app.state.sessions() as s:
        alerts = unified_alerts(
            s, op.region_prefix, AlertFilter(status=status, source=source, limit=500)
        )
    return render_page(
        request,
        "alerts.html",
        op,
        status=status,
        source=source,
        alerts=alert_rows(alerts, op),
    )


@router.get("/referrals")
def referrals_page(request: Request, op: Viewer, status: str | None = None) -> Response:
    """Failing lab reports referred to the air-pollution office, and their acknowledgement."""
    if status not in ("open", "acknowledged"):
        status = None
    with request.app.state.sessions() as s:
        rows = [referral_row(c) for c in cases_in(s, op.region_prefix, status, 500)]
    return render_page(
        request,
        "referrals.html",
        op,
        status=status,
        cases=rows,
        can_ack=op.role in REFERRAL_ACKERS,
    )


@router.get("/checkpoints/{checkpoint_id}")
def checkpoint_page(request: Request, op: Viewer, checkpoint_id: str) -> Response:
    now = request.app.state.clock.now()
    since, until = _today(now)
    with request.app.state.sessions() as s:
        cp = s.get(Checkpoint, checkpoint_id)
        if cp is None or not op.covers(cp.region_code):
            return not_found_page(request, op, "dash.no_checkpoint", checkpoint_id)
        t = queries.summary(s, cp.region_code, since, until, now, by="checkpoint")
        today = next((r for r in t if r["checkpoint"] == checkpoint_id), {})
        recent = list(
            s.scalars(
                select(Inspection)
                .where(Inspection.checkpoint_id == checkpoint_id)
                .order_by(Inspection.opened_at.desc())
                .limit(30)
            )
        )
        labs = list(
            s.scalars(
                select(LabSample)
                .where(LabSample.checkpoint_id == checkpoint_id, LabSample.reported_at.is_(None))
                .order_by(LabSample.sampled_at)
            )
        )
        alerts = [
            a
            for a in unified_alerts(
                s, cp.region_code, AlertFilter(status="active", source="checkpoint")
            )
            if a["checkpoint_id"] == checkpoint_id
        ]
        inspections = [
            {
                "opened_at": i.opened_at,
                "plate": i.plate,
                "driver": _driver(i, op),
                "origin": i.origin,
                "coal_type": i.coal_type,
                "state": i.state,
                "overall": i.overall,
                "disagreement": bool(i.disagreement),
                "provisional": bool(i.provisional),
            }
            for i in recent
        ]
        lab_rows = [
            {
                "sample_id": lab.sample_id,
                "sampled_at": lab.sampled_at,
                "dispatch_due": lab.dispatch_due,
                "dispatched_at": lab.dispatched_at,
                "report_due": lab.report_due,
                "overdue": queries.lab_overdue(lab, now),
            }
            for lab in labs
        ]
        figures = [
            Kpi("dash.kpi_checked", today.get("checked", 0)),
            Kpi("dash.kpi_pass", today.get("pass", 0)),
            Kpi("dash.kpi_fail", today.get("fail", 0), crit=bool(today.get("fail"))),
            Kpi("dash.kpi_turned_back", today.get("turned_back", 0)),
            Kpi("state.fast_pass", today.get("fast_pass", 0)),
        ]
        return render_page(
            request,
            "checkpoint.html",
            op,
            cp=cp,
            figures=figures,
            alerts=alert_rows(alerts, op),
            inspections=inspections,
            labs=lab_rows,
        )


def _driver(i: Inspection, op: Operator) -> str:
    name = i.driver or ""
    return name if op.sees_personal_data else mask_name(name)


@router.get("/alarms/{device_id}")
def alarm_page(request: Request, op: Viewer, device_id: str, hours: int = 48) -> Response:
    hours = min(max(hours, 1), 24 * 31)
    now = request.app.state.clock.now()
    with request.app.state.sessions() as s:
        dev = s.get(CoDevice, device_id)
        if dev is None or not op.covers(dev.region_code):
            return not_found_page(request, op, "dash.no_alarm", device_id)
        points = co_history(s, device_id, now - timedelta(hours=hours))
        alerts = [
            a
            for a in unified_alerts(s, dev.region_code, AlertFilter(source="co", limit=500))
            if a["device_id"] == device_id
        ][:20]
        household = for_caller(registry.device_view(dev), op.sees_personal_data)["household"]
        notified = _notified(s, [a for a in alerts if a["kind"] == "co_alarm"], op)
        return render_page(
            request,
            "alarm.html",
            op,
            device=dev,
            household_name=(household or {}).get("name") or "—",
            phone=(household or {}).get("phone") or "—",
            hours=hours,
            plot=co_line(points) if points else None,
            alerts=alert_rows(alerts, op),
            notified=notified,
        )


def _notified(s: Any, alerts: list[dict[str, Any]], op: Operator) -> list[NotifiedRow]:
    """Who each CO alarm reached, when and how, or that nobody was on file (never silent)."""
    region_of = {int(a["id"].removeprefix("co-")): a["region_code"] for a in alerts[:5]}
    rows = s.scalars(
        select(CoNotification)
        .where(
            CoNotification.alert_id.in_(region_of),
            or_(CoNotification.contact_id.is_not(None), CoNotification.status == NO_RECIPIENT),
        )
        .order_by(CoNotification.id.desc())
        .limit(200)
    )
    return notified_rows(list(rows), region_of, op)


@router.get("/contacts")
def contacts_page(request: Request, op: Viewer, role: str | None = None) -> Response:
    """The contact directory of the user's region; phones masked, revealed on request."""
    role = role if role in ROLES else None
    with request.app.state.sessions() as s:
        groups = contacts_pages.directory(s, op, role)
    return render_page(
        request,
        "contacts.html",
        op,
        role=role,
        roles=ROLES,
        groups=groups,
        powers=contacts_pages.powers(op),
    )


@router.get("/rota")
def rota_page(request: Request, op: Viewer) -> Response:
    """The townships' on-call rota: who is on duty now, the next two weeks' shifts."""
    now = request.app.state.clock.now()
    with request.app.state.sessions() as s:
        shifts, towns = contacts_pages.rota(s, op, now)
    return render_page(
        request, "rota.html", op, shifts=shifts, towns=towns, powers=contacts_pages.powers(op)
    )
