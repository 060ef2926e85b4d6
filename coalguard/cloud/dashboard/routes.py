"""Dashboard pages: login, region overview, alert list, checkpoint detail, alarm detail.

Pages authenticate with the session cookie (or a bearer header) and redirect to
``/login`` without one; each declares its roles with ``allow_page``. Every
figure is region scoped like the API.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from html import escape
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from coalguard.cloud.access import EVERY_ROLE, PUBLIC, allow_page
from coalguard.cloud.alerts_api import unified_alerts
from coalguard.cloud.auth import Operator
from coalguard.cloud.checks import queries
from coalguard.cloud.checks.tables import Checkpoint, Inspection, LabSample
from coalguard.cloud.co import registry
from coalguard.cloud.co.tables import CoDevice, CoMessageRow
from coalguard.cloud.dashboard import pages
from coalguard.cloud.privacy import for_caller, mask_name

router = APIRouter(include_in_schema=False)
_JS = (Path(__file__).with_name("dashboard.js")).read_text(encoding="utf-8")


Viewer = Annotated[Operator, allow_page(*EVERY_ROLE)]


def _html(body: str) -> HTMLResponse:
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


def _today(now: datetime) -> tuple[datetime, datetime]:
    d = now.astimezone(pages.LOCAL_TZ).date()
    start = datetime.combine(d, time(0), pages.LOCAL_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


@router.get("/dashboard.js", dependencies=[PUBLIC])
def script() -> Response:
    return Response(_JS, media_type="text/javascript; charset=utf-8")


@router.get("/login", dependencies=[PUBLIC])
def login() -> HTMLResponse:
    return _html(pages.login_page())


@router.get("/")
def overview(request: Request, op: Viewer) -> Response:
    region = op.region_prefix
    now = request.app.state.clock.now()
    since, until = _today(now)
    with request.app.state.sessions() as s:
        alerts = unified_alerts(s, region, status="active", limit=500)
        total = queries.summary(s, region, since, until, now)
        by_cp = {
            r["checkpoint"]: r
            for r in queries.summary(s, region, since, until, now, by="checkpoint")
        }
        cps = queries.checkpoints_in(s, region)
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
    kpis = [
        pages.kpi("紧急告警", sev.get("critical", 0), crit=bool(sev.get("critical"))),
        pages.kpi("高/重要告警", sev.get("high", 0) + sev.get("major", 0)),
        pages.kpi(
            "其他未处理告警",
            sum(sev.values()) - sev.get("critical", 0) - sev.get("high", 0) - sev.get("major", 0),
        ),
        pages.kpi("报警器在线", online),
        pages.kpi("报警器离线", offline, crit=offline > 0),
        pages.kpi("今日检查车辆", t.get("checked", 0)),
        pages.kpi(
            "今日不合格率",
            f"{t['fail_rate']:.1%}" if t.get("fail_rate") is not None else "—",
        ),
    ]
    cp_rows = []
    for c in cps:
        r = by_cp.get(c.checkpoint_id, {})
        n_alerts = sum(1 for a in alerts if a["checkpoint_id"] == c.checkpoint_id)
        cp_rows.append(
            f"<tr><td><a href='/checkpoints/{escape(c.checkpoint_id)}'>{escape(c.name)}</a></td>"
            f"<td>{escape(c.region_code or '未登记')}</td><td>{pages.local(c.last_seen)}</td>"
            f"<td>{r.get('checked', 0)}</td><td>{r.get('fail', 0)}</td>"
            f"<td>{r.get('turned_back', 0)}</td><td>{r.get('lab_overdue', 0)}</td>"
            f"<td>{n_alerts}</td></tr>"
        )
    body = (
        f"<h1>区域总览 · {escape(region or '全国')}</h1>"
        f"<div class='kpis'>{''.join(kpis)}</div>"
        "<h2>检查站</h2>"
        + pages.table(
            [
                "检查站",
                "区划",
                "最近通信",
                "今日检查",
                "不合格",
                "劝返",
                "实验室逾期",
                "未处理告警",
            ],
            cp_rows,
        )
        + "<h2>未处理告警</h2>"
        + pages.table(pages.ALERT_HEADERS, pages.alert_rows(alerts[:50], op))
    )
    return _html(pages.page("区域总览", body, op))


@router.get("/alerts")
def alerts_page(
    request: Request, op: Viewer, status: str = "active", source: str | None = None
) -> Response:
    if status not in ("active", "open", "acknowledged", "resolved"):
        status = "active"
    if source not in (None, "co", "checkpoint"):
        source = None
    with request.app.state.sessions() as s:
        alerts = unified_alerts(s, op.region_prefix, status=status, source=source, limit=500)
    links = " ".join(
        f"<a href='/alerts?status={k}'>{v}</a>"
        for k, v in (("active", "未处理"), ("acknowledged", "已确认"), ("resolved", "已处置"))
    )
    src = " ".join(
        f"<a href='/alerts?status={status}&source={k}'>{v}</a>"
        for k, v in (("co", "报警器"), ("checkpoint", "检查站"))
    )
    body = f"<h1>告警列表</h1><p class='filters'>{links} ｜ {src}</p>" + pages.table(
        pages.ALERT_HEADERS, pages.alert_rows(alerts, op)
    )
    return _html(pages.page("告警列表", body, op))


@router.get("/checkpoints/{checkpoint_id}")
def checkpoint_page(request: Request, op: Viewer, checkpoint_id: str) -> Response:
    now = request.app.state.clock.now()
    since, until = _today(now)
    with request.app.state.sessions() as s:
        cp = s.get(Checkpoint, checkpoint_id)
        if cp is None or not op.covers(cp.region_code):
            raise HTTPException(404, f"no checkpoint {checkpoint_id}")
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
            for a in unified_alerts(s, cp.region_code, status="active", source="checkpoint")
            if a["checkpoint_id"] == checkpoint_id
        ]
    rows = [
        f"<tr><td>{pages.local(i.opened_at)}</td><td>{escape(i.plate)}</td>"
        f"<td>{escape(_driver(i, op))}</td>"
        f"<td>{escape(i.origin or '')}</td><td>{escape(i.coal_type or '')}</td>"
        f"<td>{escape(pages.STATE_ZH.get(i.state, i.state))}</td>"
        f"<td>{escape(pages.RESULT_ZH.get(i.overall, i.overall or ''))}</td>"
        f"<td>{'⚠ 不一致' if i.disagreement else ''}</td></tr>"
        for i in recent
    ]
    lab_rows = [
        f"<tr><td>{escape(lab.sample_id)}</td><td>{pages.local(lab.sampled_at)}</td>"
        f"<td>{pages.local(lab.dispatch_due)}</td><td>{pages.local(lab.dispatched_at)}</td>"
        f"<td>{pages.local(lab.report_due)}</td>"
        f"<td>{'逾期' if queries.lab_overdue(lab, now) else ''}</td></tr>"
        for lab in labs
    ]
    kp = [
        pages.kpi("今日检查", today.get("checked", 0)),
        pages.kpi("合格", today.get("pass", 0)),
        pages.kpi("不合格", today.get("fail", 0), crit=bool(today.get("fail"))),
        pages.kpi("劝返", today.get("turned_back", 0)),
        pages.kpi("绿色通道", today.get("fast_pass", 0)),
    ]
    body = (
        f"<h1>检查站 · {escape(cp.name)}</h1><p>编号 {escape(cp.checkpoint_id)} ｜ 区划 "
        f"{escape(cp.region_code or '未登记')} ｜ 标准 {escape(cp.jurisdiction or '—')} ｜ "
        f"最近通信 {pages.local(cp.last_seen)}</p><div class='kpis'>{''.join(kp)}</div>"
        "<h2>未处理告警</h2>"
        + pages.table(pages.ALERT_HEADERS, pages.alert_rows(alerts, op))
        + "<h2>最近检查</h2>"
        + pages.table(["时间", "车牌", "司机", "来源地", "煤种", "状态", "结果", "云端复核"], rows)
        + "<h2>待完成的实验室送检</h2>"
        + pages.table(["样品", "采样", "送检期限", "送检", "报告期限", "状态"], lab_rows)
    )
    return _html(pages.page(f"检查站 {cp.name}", body, op))


def _driver(i: Inspection, op: Operator) -> str:
    name = i.driver or ""
    return name if op.sees_personal_data else mask_name(name)


def co_history(s: Any, device_id: str, since: datetime) -> list[tuple[datetime, float]]:
    rows = s.execute(
        select(CoMessageRow.ts, CoMessageRow.payload)
        .where(
            CoMessageRow.device_id == device_id,
            CoMessageRow.kind == "state",
            CoMessageRow.ts >= since,
        )
        .order_by(CoMessageRow.ts)
        .limit(5000)
    )
    out = []
    for ts, payload in rows:
        v = (payload or {}).get("co_ppm")
        if isinstance(v, int | float):
            out.append((ts, float(v)))
    return out


@router.get("/alarms/{device_id}")
def alarm_page(request: Request, op: Viewer, device_id: str, hours: int = 48) -> Response:
    hours = min(max(hours, 1), 24 * 31)
    now = request.app.state.clock.now()
    with request.app.state.sessions() as s:
        dev = s.get(CoDevice, device_id)
        if dev is None or not op.covers(dev.region_code):
            raise HTTPException(404, f"no alarm {device_id}")
        points = co_history(s, device_id, now - timedelta(hours=hours))
        alerts = [
            a
            for a in unified_alerts(s, dev.region_code, source="co", limit=500)
            if a["device_id"] == device_id
        ][:20]
    household = for_caller(registry.device_view(dev), op.sees_personal_data)["household"] or {}
    name = household.get("name") or "—"
    phone = household.get("phone") or "—"
    battery = f"{dev.battery_pct:.0f}%" if dev.battery_pct is not None else "—"
    body = (
        f"<h1>报警器 · {escape(device_id)}</h1>"
        f"<p>住户 {escape(name)} ｜ 电话 {escape(phone)} ｜ 区划 {escape(dev.region_code)} ｜ "
        f"{'在线' if dev.online else '离线'} ｜ 电量 {battery} ｜ 最近通信 "
        f"{pages.local(dev.last_seen)}</p>"
        f"<h2>最近 {hours} 小时一氧化碳浓度</h2>"
        + pages.co_plot(points)
        + "<h2>告警记录</h2>"
        + pages.table(pages.ALERT_HEADERS, pages.alert_rows(alerts, op))
    )
    return _html(pages.page(f"报警器 {device_id}", body, op))
