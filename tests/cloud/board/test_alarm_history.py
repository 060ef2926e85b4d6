"""CO alarm history per village and household, and its response times in the daily and weekly
reports: alarms through the CO store, answers through the alert routes, a fixed clock."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.alert_lifecycle import LINK
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoAlert
from coalguard.edge.clock import ManualClock
from tests.cloud.co.co_support import event, registered
from tests.cloud.ops_support import bearer, make_app, users

T = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
A, B = "130102001001", "130102002001"  # two villages of the county
# The directory's names of village A (coalguard/cloud/regions/regions.csv): reports show them.
NAME_OF_A = {"zh": "示例一村", "en": "Example Village 1"}
# (device, village, opened after T, answered after opening by "ack"/"resolve", or never)
ALARMS = [
    ("co-hb-1", A, timedelta(0), ("ack", timedelta(minutes=3))),
    ("co-hb-4", B, timedelta(minutes=30), ("link", timedelta(minutes=1))),
    ("co-hb-2", A, timedelta(hours=1), ("ack", timedelta(minutes=9))),
    ("co-hb-1", A, timedelta(hours=2), ("resolve", timedelta(minutes=20))),
    ("co-hb-3", A, timedelta(hours=3), None),
    ("co-sx-1", "140200001001", timedelta(0), ("ack", timedelta(minutes=50))),
]


@pytest.fixture
def world(cloud_db: str) -> tuple[TestClient, dict[str, str], ManualClock]:
    clock = ManualClock(T - timedelta(hours=1))
    app = make_app(cloud_db, clock, checks_interval_s=0)
    tok = users(app)
    store = MessageStore(app.state.sessions, AlertBook(load_rules(), ("log",)))
    for dev, village in {(d, v) for d, v, _, _ in ALARMS}:
        registered(store, dev, village)
    c = TestClient(app)
    seq: dict[str, int] = {}
    for dev, _village, after, answer in ALARMS:
        opened = T + after
        seq[dev] = seq.get(dev, 0) + 1
        store.apply([event(dev, seq[dev], "alarm_start", opened, co_ppm=150 + seq[dev])])
        if answer is None:
            continue
        with app.state.sessions() as s:
            (alert,) = s.query(CoAlert).filter_by(device_id=dev, status="open").all()
        step, took = answer
        clock.set(opened + took)
        if step == "link":  # the grid worker's one-time link (the escalation's page)
            with app.state.sessions.begin() as s:
                lifecycle.acknowledge(s.get(CoAlert, alert.id), "李网格", clock.now(), via=LINK)
            continue
        who = "admin" if dev.startswith("co-sx") else "county"
        r = c.post(f"/api/v1/alerts/co-{alert.id}/{step}", headers=bearer(tok[who]), json={})
        assert r.status_code == 200, r.text
        if step == "ack" and dev == "co-hb-1":  # resolved later, so it can alarm again
            clock.set(opened + timedelta(minutes=30))
            c.post(f"/api/v1/alerts/co-{alert.id}/resolve", headers=bearer(tok[who]), json={})
    clock.set(T + timedelta(hours=10))
    return c, tok, clock


VILLAGE_A = {
    "village_code": A,
    "alarms": 4,
    "acknowledged": 3,
    "unacknowledged": 1,
    "median_min": 9.0,
    "p90_min": 20.0,
}
VILLAGE_B = {
    "village_code": B,
    "alarms": 1,
    "acknowledged": 1,
    "unacknowledged": 0,
    "median_min": 1.0,
    "p90_min": 1.0,
}


def test_reports_give_alarm_response_times_per_village(world) -> None:  # type: ignore[no-untyped-def]
    c, tok, _ = world
    county = bearer(tok["county"])
    for kind, day in (("daily", "2026-11-23"), ("weekly", "2026-11-25")):
        doc = c.get(f"/api/v1/reports/{kind}?date={day}", headers=county).json()
        assert doc["alarms"]["response_by_village"] == [VILLAGE_A, VILLAGE_B], kind
        assert doc["alarms"]["response"] == {"count": 4, "median_min": 6.0, "p90_min": 20.0}
    nation = c.get("/api/v1/reports/daily?date=2026-11-23", headers=bearer(tok["admin"])).json()
    assert [v["village_code"] for v in nation["alarms"]["response_by_village"]] == [
        A,
        B,
        "140200001001",
    ]
    empty = c.get("/api/v1/reports/daily?date=2026-11-22", headers=county).json()
    assert empty["alarms"]["response_by_village"] == []
    text = c.get("/api/v1/reports/daily?date=2026-11-23&format=csv", headers=county).text
    rows = list(csv.reader(io.StringIO(text)))
    assert ["alarm_response_village", A, "median_min", "9.0"] in rows
    assert ["alarm_response_village", B, "p90_min", "1.0"] in rows
    for lang, title in (
        ("zh", "各村一氧化碳报警响应（报警到确认）"),
        ("en", "CO alarm response per village (alarm to acknowledgement)"),
    ):
        html = c.get(
            f"/api/v1/reports/weekly?date=2026-11-25&format=html&lang={lang}", headers=county
        ).text
        assert title in html
        assert (
            f'<td><span class="region" title="{A}">{NAME_OF_A[lang]}</span></td>'
            "<td>4</td><td>3</td><td>1</td><td>9</td><td>20</td>"
        ) in html


def test_history_pages_show_each_alarm_who_answered_how_soon_and_how(world) -> None:  # type: ignore[no-untyped-def]
    c, tok, _ = world
    county = bearer(tok["county"])
    page = c.get("/history", headers=county).text
    assert "一氧化碳报警历史 · 长安区（最近 30 天）" in page
    assert f'href="/history/villages/{A}"' in page and "140200001001" not in page
    page = c.get(f"/history/villages/{A}", headers=county).text
    assert f"{NAME_OF_A['zh']} 的一氧化碳报警" in page
    rows = page.split('data-occurrence="')[1:]
    assert len(rows) == 4  # newest first
    assert "2026-11-23 13:00" in rows[0] and "未处理" in rows[0]  # 03:00 UTC + 3 h: unanswered
    assert "2026-11-23 12:00" in rows[1] and ">20</td>" in rows[1] and "值班平台" in rows[1]
    assert "2026-11-23 10:00" in rows[3] and ">3</td>" in rows[3]
    assert "county-130102" in rows[3] and "王*" in rows[3] and "王家" not in page
    page = c.get("/history/households/co-hb-1", headers=county).text
    assert page.count('data-occurrence="') == 2 and ">3</td>" in page and ">20</td>" in page
    c.cookies.set("cg_lang", "en")
    page = c.get(f"/history/villages/{A}", headers=county).text
    assert (
        f"CO alarms of {NAME_OF_A['en']}" in page
        and ">dashboard<" in page
        and "Per household" in page
    )
    page = c.get(f"/history/villages/{B}", headers=county).text
    assert "李网格" in page and ">SMS link<" in page and ">1</td>" in page
    # Another province sees none of it.
    shanxi = bearer(tok["shanxi"])
    assert c.get(f"/history/villages/{A}", headers=shanxi).status_code == 404
    assert c.get("/history/households/co-hb-1", headers=shanxi).status_code == 404
    assert A not in c.get("/history", headers=shanxi).text
