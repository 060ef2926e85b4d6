"""HTML of the dashboard pages (Simplified Chinese). Everything shown is escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from coalguard.cloud.access import ALERT_ACTORS
from coalguard.cloud.auth import Operator
from coalguard.cloud.reports.render import ALERT_ZH

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
STATUS_ZH = {"open": "未处理", "acknowledged": "已确认", "resolved": "已处置"}
SEVERITY_ZH = {
    "critical": "紧急",
    "high": "高",
    "major": "重要",
    "medium": "中",
    "minor": "一般",
    "low": "低",
    "info": "提示",
}
STATE_ZH = {
    "arrived": "到达",
    "registered": "已登记",
    "fast_pass": "绿色通道",
    "awaiting_sample": "待采样",
    "sampled": "已采样",
    "tested": "已检测",
    "judged": "已判定",
    "released": "放行",
    "turned_back": "劝返",
    "lab_sample": "送实验室",
    "cancelled": "已取消",
}
RESULT_ZH = {
    "pass": "合格",
    "fail": "不合格",
    "retest": "复检",
    "incomplete": "不完整",
    "no_limits": "无限值",
    None: "—",
}

_CSS = """
*{box-sizing:border-box}body{margin:0;font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;background:#f4f5f7;color:#222}
header{background:#7a1616;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}
header a{color:#fff;text-decoration:none}header .who{margin-left:auto;font-size:13px}
main{padding:16px 20px}h1{font-size:20px;margin:4px 0 12px}h2{font-size:16px;margin:18px 0 8px}
.kpis{display:flex;gap:12px;flex-wrap:wrap}.kpi{background:#fff;border-radius:6px;
padding:10px 16px;min-width:130px;box-shadow:0 1px 2px #0002}.kpi b{display:block;font-size:24px}
.kpi.crit b{color:#b00}table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid #e3e3e3;text-align:left}th{background:#eceff3}
tr[data-status=open] .status{color:#b00;font-weight:bold}.sev-critical{color:#b00;font-weight:bold}
button{cursor:pointer;border:1px solid #888;background:#fff;border-radius:4px;padding:2px 8px;
margin-right:4px}.msg{margin:8px 0;color:#176a2c}.msg.bad{color:#b00}.empty{color:#777}
form#login{background:#fff;max-width:420px;margin:60px auto;padding:24px;border-radius:8px;
box-shadow:0 1px 4px #0003}form#login input{width:100%;padding:8px;margin:8px 0 12px}
.filters a{margin-right:10px}
"""


def local(dt: datetime | str | None) -> str:
    if dt is None:
        return "—"
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M")


def page(title: str, body: str, op: Operator | None = None) -> str:
    nav = ""
    if op is not None:
        region = op.region_prefix or "全国"
        nav = (
            "<header><b>煤质与一氧化碳监管平台</b><a href='/'>总览</a>"
            "<a href='/alerts'>告警</a>"
            f"<span class='who'>{escape(op.name)}（{escape(region)}）"
            " <button id='logout'>退出</button></span></header>"
        )
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style>"
        "<script src='/dashboard.js' defer></script></head><body>"
        f"{nav}<main><div id='msg' class='msg'></div>{body}</main></body></html>"
    )


def login_page() -> str:
    return page(
        "登录",
        "<form id='login'><h1>登录</h1><label for='token'>访问令牌</label>"
        "<input id='token' name='token' type='password' autocomplete='off' required>"
        "<button type='submit'>登录</button></form>",
    )


def table(headers: list[str], rows: list[str]) -> str:
    if not rows:
        return "<p class='empty'>无</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def alert_rows(alerts: list[dict[str, Any]], op: Operator) -> list[str]:
    rows = []
    for a in alerts:
        aid = escape(a["id"])
        buttons = ""
        if op.role in ALERT_ACTORS and a["status"] != "resolved":
            if a["status"] == "open":
                buttons += f"<button data-alert='{aid}' data-action='ack'>确认</button>"
            buttons += f"<button data-alert='{aid}' data-action='resolve'>处置</button>"
        if a["source"] == "co":
            where = f"<a href='/alarms/{escape(a['device_id'])}'>{escape(a['device_id'])}</a>"
        else:
            cp = escape(a["checkpoint_id"] or "")
            where = f"<a href='/checkpoints/{cp}'>{cp}</a> {escape(a['subject'] or '')}"
        sev = a["severity"]
        rows.append(
            f"<tr data-alert='{aid}' data-status='{escape(a['status'])}'>"
            f"<td>{aid}</td><td>{'报警器' if a['source'] == 'co' else '检查站'}</td>"
            f"<td>{escape(ALERT_ZH.get(a['kind'], a['kind']))}</td>"
            f"<td class='sev-{escape(sev)}'>{escape(SEVERITY_ZH.get(sev, sev))}</td>"
            f"<td>{where}</td><td>{escape(a['region_code'])}</td>"
            f"<td>{local(a['opened_at'])}</td><td>{a['escalation_level']}</td>"
            f"<td class='status'>{escape(STATUS_ZH.get(a['status'], a['status']))}</td>"
            f"<td>{buttons}</td></tr>"
        )
    return rows


ALERT_HEADERS = ["编号", "来源", "类别", "级别", "位置", "区划", "发生时间", "升级", "状态", "操作"]


def kpi(label: str, value: Any, crit: bool = False) -> str:
    cls = "kpi crit" if crit else "kpi"
    return f"<div class='{cls}'>{escape(label)}<b>{escape(str(value))}</b></div>"


def co_plot(points: list[tuple[datetime, float]], width: int = 760, height: int = 240) -> str:
    """CO ppm over time as an inline SVG line with the 50 ppm alarm level marked."""
    if not points:
        return "<p class='empty'>无历史数据</p>"
    left, right, top, bottom = 44, 10, 14, 30
    t0, t1 = points[0][0].timestamp(), points[-1][0].timestamp()
    span = max(t1 - t0, 1.0)
    vmax = max(60.0, max(v for _, v in points) * 1.1)
    pw, ph = width - left - right, height - top - bottom

    def xy(t: datetime, v: float) -> tuple[float, float]:
        return left + pw * (t.timestamp() - t0) / span, top + ph * (1 - v / vmax)

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(t, v) for t, v in points))
    _, y50 = xy(points[0][0], 50)
    return (
        f"<svg id='co-plot' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "role='img' aria-label='一氧化碳浓度曲线' style='background:#fff'>"
        f"<line x1='{left}' y1='{top + ph}' x2='{width - right}' y2='{top + ph}' stroke='#333'/>"
        f"<line x1='{left}' y1='{top}' x2='{left}' y2='{top + ph}' stroke='#333'/>"
        f"<line x1='{left}' y1='{y50:.1f}' x2='{width - right}' y2='{y50:.1f}' stroke='#d33' "
        "stroke-dasharray='4 3'/>"
        f"<text x='{width - right - 2}' y='{y50 - 3:.1f}' font-size='10' text-anchor='end' "
        "fill='#d33'>50 ppm</text>"
        f"<text x='{left - 4}' y='{top + 8}' font-size='10' text-anchor='end'>{vmax:.0f}</text>"
        f"<text x='{left - 4}' y='{top + ph}' font-size='10' text-anchor='end'>0</text>"
        f"<text x='{left}' y='{height - 8}' font-size='10'>{local(points[0][0])}</text>"
        f"<text x='{width - right}' y='{height - 8}' font-size='10' text-anchor='end'>"
        f"{local(points[-1][0])}</text>"
        f"<polyline fill='none' stroke='#3b6fb6' stroke-width='1.5' points='{path}'/>"
        f"<text x='{left + 4}' y='{top + 10}' font-size='11'>CO (ppm)</text></svg>"
    )
