"""A report's figures as CSV or as a printable Chinese HTML page with inline SVG charts."""

from __future__ import annotations

import csv
import io
import json
from html import escape
from typing import Any

KIND_ZH = {"daily": "每日调度", "weekly": "每周通报"}
RESULT_ZH = {
    "checked": "检查车辆",
    "pass": "合格",
    "fail": "不合格",
    "retest": "复检",
    "turned_back": "劝返",
    "fast_pass": "绿色通道",
    "lab_sampled": "送实验室",
    "lab_overdue": "实验室逾期",
    "disagreements": "判定不一致",
    "fail_rate": "不合格率",
}
ALERT_ZH = {
    "co_alarm": "一氧化碳报警",
    "offline": "离线",
    "low_battery": "电量低",
    "eol": "寿命到期",
    "tamper": "拆除",
    "fault": "故障",
    "verdict.disagreement": "判定不一致",
    "lab.failed": "实验室不合格",
    "lab.dispatch_overdue": "送检逾期",
    "lab.report_overdue": "报告逾期",
    "camera.silent": "摄像头无数据",
    "analyzer.offline": "分析仪离线",
    "outbox.backlog": "上传积压",
    "gateway.foreign_checkpoint": "网关越权写入其他检查站",
    "ledger.fork": "台账分叉",
    "ledger.tampered": "台账被篡改",
}


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)


def to_csv(doc: dict[str, Any]) -> str:
    """One row per figure: section, key, metric, value."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "key", "metric", "value"])
    cps = doc["checkpoints"]
    for k, v in cps["total"].items():
        w.writerow(["region", doc["region"], k, v])
    for row in cps["by_checkpoint"]:
        for k, v in row.items():
            if k not in ("checkpoint", "name"):
                w.writerow(["checkpoint", row["checkpoint"], k, v])
    for row in cps["by_origin"]:
        for k, v in row.items():
            if k != "origin":
                w.writerow(["origin", row["origin"], k, v])
    for row in doc["series"]:
        for k in ("checked", "fail", "fail_rate"):
            w.writerow(["day", row["date"], k, row[k]])
    for k, v in doc["lab"].items():
        w.writerow(["lab", doc["region"], k, v])
    alarms = doc["alarms"]
    for k in ("installed", "online", "offline", "alarms_raised", "unacknowledged"):
        w.writerow(["alarms", doc["region"], k, alarms[k]])
    for k, v in alarms["response"].items():
        w.writerow(["alarms", doc["region"], f"response_{k}", v])
    for k, v in alarms["alerts_by_kind"].items():
        w.writerow(["alarm_alerts", k, "opened", v])
    for row in alarms["silent_by_village"]:
        w.writerow(["silent_village", row["village_code"], "silent", row["silent"]])
    for k, v in doc["checkpoint_alerts"]["opened_by_kind"].items():
        w.writerow(["checkpoint_alerts", k, "opened", v])
    if doc.get("sales_points"):
        w.writerow(["sales_points", doc["region"], "records", doc["sales_points"]["records"]])
    return buf.getvalue()


def bar_chart(
    items: list[tuple[str, float, float]], title: str, a: str, b: str, width: int = 640
) -> str:
    """Grouped bars (two series) as inline SVG; labels under each group."""
    if not items:
        return f'<p class="empty">{escape(title)}: 无数据</p>'
    h, top, bottom, left = 220, 28, 46, 40
    plot_h = h - top - bottom
    top_val = max(max(x[1], x[2]) for x in items) or 1
    group_w = (width - left - 10) / len(items)
    bar_w = max(min(group_w / 3, 28), 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" '
        'stroke="#333"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{top_val:g}</text>',
    ]
    for k, (label, v1, v2) in enumerate(items):
        x0 = left + k * group_w + (group_w - 2 * bar_w) / 2
        for j, (v, color) in enumerate(((v1, "#3b6fb6"), (v2, "#d9534f"))):
            bh = plot_h * (v / top_val)
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - bh:.1f}" '
                f'width="{bar_w - 1:.1f}" height="{bh:.1f}" fill="{color}">'
                f"<title>{escape(label)}: {v:g}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + bar_w:.1f}" y="{top + plot_h + 14}" font-size="10" '
            f'text-anchor="middle">{escape(label[:12])}</text>'
        )
    lx = width - 170
    parts += [
        f'<rect x="{lx}" y="6" width="10" height="10" fill="#3b6fb6"/>',
        f'<text x="{lx + 14}" y="15" font-size="11">{escape(a)}</text>',
        f'<rect x="{lx + 80}" y="6" width="10" height="10" fill="#d9534f"/>',
        f'<text x="{lx + 94}" y="15" font-size="11">{escape(b)}</text>',
        "</svg>",
    ]
    return "".join(parts)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return '<p class="empty">无数据</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.1%}" if v <= 1 else f"{v:g}"
    return str(v)


_CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:24px;color:#222}
h1{font-size:22px;border-bottom:2px solid #b22;padding-bottom:6px}
h2{font-size:17px;margin-top:24px;color:#b22}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #999;padding:3px 8px;text-align:right}
th{background:#eee}td:first-child,th:first-child{text-align:left}
.kpi{display:flex;gap:12px;flex-wrap:wrap}
.kpi div{border:1px solid #ccc;padding:6px 12px;min-width:90px}
.kpi b{display:block;font-size:20px}.empty{color:#777}
@media print{body{margin:8mm}h2{page-break-after:avoid}.chart{page-break-inside:avoid}}
"""


def to_html(doc: dict[str, Any]) -> str:
    """A printable page in Simplified Chinese."""
    kind = KIND_ZH.get(doc["kind"], doc["kind"])
    span = (
        doc["first_day"]
        if doc["first_day"] == doc["last_day"]
        else f"{doc['first_day']} 至 {doc['last_day']}"
    )
    region = doc["region"] or "全国"
    total = doc["checkpoints"]["total"]
    kpis = "".join(
        f"<div>{escape(RESULT_ZH[k])}<b>{escape(_fmt(total.get(k, 0)))}</b></div>"
        for k in ("checked", "pass", "fail", "retest", "turned_back", "fail_rate", "lab_overdue")
    )
    by_cp = doc["checkpoints"]["by_checkpoint"]
    cp_rows = [
        [
            r.get("name"),
            r.get("checked", 0),
            r.get("pass", 0),
            r.get("fail", 0),
            r.get("retest", 0),
            r.get("turned_back", 0),
            r.get("fast_pass", 0),
            r.get("lab_overdue", 0),
            r.get("disagreements", 0),
        ]
        for r in by_cp
    ]
    origin_rows = [
        [r.get("origin") or "未登记", r.get("checked", 0), r.get("fail", 0), r.get("fail_rate")]
        for r in doc["checkpoints"]["by_origin"]
    ]
    series = doc["series"]
    alarms = doc["alarms"]
    resp = alarms["response"]
    lab = doc["lab"]
    cpa = doc["checkpoint_alerts"]
    sales = doc.get("sales_points")
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{escape(region)} {escape(kind)} {escape(span)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(region)} 清洁取暖煤质与一氧化碳报警 {escape(kind)}（{escape(span)}）</h1>",
        f"<p>检查站 {doc['checkpoint_count']} 个；"
        f"生成时间 {escape(doc['generated_at'][:19])} UTC</p>",
        "<h2>一、检查站煤质检查</h2>",
        f'<div class="kpi">{kpis}</div>',
        bar_chart(
            [(r.get("name") or "", r.get("checked", 0), r.get("fail", 0)) for r in by_cp],
            "各检查站检查与不合格车辆",
            "检查",
            "不合格",
        ),
        _table(
            [
                "检查站",
                "检查",
                "合格",
                "不合格",
                "复检",
                "劝返",
                "绿色通道",
                "实验室逾期",
                "判定不一致",
            ],
            cp_rows,
        ),
    ]
    if len(series) > 1:
        parts.append(
            bar_chart(
                [(d["date"][5:], d["checked"], d["fail"]) for d in series],
                "每日检查与不合格车辆",
                "检查",
                "不合格",
            )
        )
    parts += [
        "<h3>按煤炭来源地</h3>",
        _table(["来源地", "检查", "不合格", "不合格率"], origin_rows),
        "<h2>二、实验室送检</h2>",
        _table(
            ["送检", "出具报告", "报告不合格", "当前逾期"],
            [[lab["sampled"], lab["reported"], lab["failed"], lab["overdue_now"]]],
        ),
        "<h2>三、一氧化碳报警器</h2>",
        _table(
            ["已安装", "在线", "离线", "报警次数", "响应中位(分钟)", "响应90%(分钟)", "未确认"],
            [
                [
                    alarms["installed"],
                    alarms["online"],
                    alarms["offline"],
                    alarms["alarms_raised"],
                    resp["median_min"],
                    resp["p90_min"],
                    alarms["unacknowledged"],
                ]
            ],
        ),
        "<h3>各类告警</h3>",
        _table(
            ["类别", "次数"],
            [[ALERT_ZH.get(k, k), v] for k, v in alarms["alerts_by_kind"].items()],
        ),
        "<h3>超过24小时无数据的报警器（按村）</h3>",
        _table(
            ["村代码", "无数据报警器"],
            [[r["village_code"], r["silent"]] for r in alarms["silent_by_village"]],
        ),
        "<h2>四、检查站告警</h2>",
        f"<p>当前未处理：{cpa['open_now']}</p>",
        _table(
            ["类别", "新增"],
            [[ALERT_ZH.get(k, k), v] for k, v in cpa["opened_by_kind"].items()],
        ),
        "<h2>五、销售网点抽检</h2>",
        f"<p>上传记录 {sales['records']} 条</p>"
        if sales
        else '<p class="empty">本期无上传数据</p>',
        "</body></html>",
    ]
    return "".join(parts)
