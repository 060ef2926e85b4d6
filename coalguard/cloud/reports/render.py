"""A report's figures as JSON, CSV or a printable HTML page with SVG charts.

The HTML comes from ``cloud/templates/reports/`` in Chinese or English; this
module only shapes the figures into a view model.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from coalguard.cloud import templating
from coalguard.cloud.charts import grouped_bars


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
    for row in alarms["response_by_village"]:
        for k in ("alarms", "acknowledged", "unacknowledged", "median_min", "p90_min"):
            w.writerow(["alarm_response_village", row["village_code"], k, row[k]])
    for row in alarms["silent_by_village"]:
        w.writerow(["silent_village", row["village_code"], "silent", row["silent"]])
    for k, v in doc["checkpoint_alerts"]["opened_by_kind"].items():
        w.writerow(["checkpoint_alerts", k, "opened", v])
    sales = doc.get("sales_points")
    if sales:
        for name, r in sales["rates"].items():
            if isinstance(r, dict):
                w.writerow(["sales_points", name, "done", r["done"]])
                w.writerow(["sales_points", name, "of", r["of"]])
        for k in ("sampled", "failed", "overdue_open"):
            w.writerow(["sales_points", doc["region"], k, sales[k]])
    return buf.getvalue()


def view(doc: dict[str, Any]) -> dict[str, Any]:
    """The report document as the template's view model: rows, chart geometry, raw keys."""
    cps = doc["checkpoints"]
    by_cp = cps["by_checkpoint"]
    series = doc["series"]
    alarms = doc["alarms"]
    resp = alarms["response"]
    lab = doc["lab"]
    cpa = doc["checkpoint_alerts"]
    sales = doc.get("sales_points")
    return {
        "kind": doc["kind"],
        "region": doc["region"],
        "first_day": doc["first_day"],
        "last_day": doc["last_day"],
        "generated_at": doc["generated_at"],
        "checkpoint_count": doc["checkpoint_count"],
        "total": cps["total"],
        "by_checkpoint_chart": grouped_bars(
            [(r.get("name") or "", r.get("checked", 0), r.get("fail", 0)) for r in by_cp]
        ),
        "checkpoint_rows": [
            [
                r.get("name"),
                *(
                    r.get(k, 0)
                    for k in (
                        "checked",
                        "pass",
                        "fail",
                        "retest",
                        "turned_back",
                        "fast_pass",
                        "lab_overdue",
                        "disagreements",
                    )
                ),
            ]
            for r in by_cp
        ],
        "daily_chart": grouped_bars([(d["date"][5:], d["checked"], d["fail"]) for d in series])
        if len(series) > 1
        else None,
        "origin_rows": cps["by_origin"],
        "lab_row": [lab["sampled"], lab["reported"], lab["failed"], lab["overdue_now"]],
        "alarm_row": [
            alarms["installed"],
            alarms["online"],
            alarms["offline"],
            alarms["alarms_raised"],
            resp["median_min"],
            resp["p90_min"],
            alarms["unacknowledged"],
        ],
        "alarm_kinds": list(alarms["alerts_by_kind"].items()),
        "response_rows": [
            [
                r["village_code"],
                r["alarms"],
                r["acknowledged"],
                r["unacknowledged"],
                r["median_min"],
                r["p90_min"],
            ]
            for r in alarms["response_by_village"]
        ],
        "silent_rows": [[r["village_code"], r["silent"]] for r in alarms["silent_by_village"]],
        "checkpoint_alerts_open": cpa["open_now"],
        "checkpoint_alert_kinds": list(cpa["opened_by_kind"].items()),
        "sales": sales_view(sales) if sales else None,
    }


def to_html(doc: dict[str, Any], lang: str = "zh") -> str:
    """A printable page in ``lang`` (Chinese by default); times in Asia/Shanghai."""
    return templating.render("reports/report.html", lang, r=view(doc))


MISSING_SHOWN = 10  # names listed per rate in the report; the rest counted


def sales_view(sales: dict[str, Any]) -> dict[str, Any]:
    """The sales-point section: one row per rate (key, done, of, rate, missing names)."""
    rows = []
    for name in ("sampling", "recheck", "cases", "producers"):
        r = sales["rates"][name]
        missing = r["missing"]
        rows.append(
            {
                "key": name,
                "done": r["done"],
                "of": r["of"],
                "rate": r["rate"],
                "missing": missing[:MISSING_SHOWN],
                "more": max(len(missing) - MISSING_SHOWN, 0),
            }
        )
    return {
        "season_since": sales["season_since"],
        "rows": rows,
        "sampled": sales["sampled"],
        "failed": sales["failed"],
        "overdue_open": sales["overdue_open"],
    }
