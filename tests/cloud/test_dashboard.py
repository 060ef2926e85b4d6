"""The dashboard in headless Chromium: a county operator logs in, sees only the county,
acknowledges an alert, looks at an alarm's CO history; screenshots for a person to check."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from coalguard.cloud.auth import CloudUser
from coalguard.cloud.checks.tables import CheckpointAlert
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoMessageRow
from coalguard.edge.clock import ManualClock
from tests.cloud.checks.checkpoint_feed import (
    START,
    build_gateway,
    gateway_token,
    records,
    run_day,
    send,
)
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.conftest import free_port, require_binary
from tests.gateway.cdp import Browser
from tests.gateway.test_bypass import exit_read
from tests.support.waiting import wait_for


def _seed(app, tmp: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    tok = users(app)
    c = client(app)
    for cp, name, region in (("cp-zz", "涿州检查站", "130102"), ("cp-dt", "大同检查站", "140200")):
        c.put(
            f"/api/v1/checkpoints/{cp}",
            json={"name": name, "region_code": region, "jurisdiction": "hebei-2022"},
            headers=bearer(tok["admin"]),
        )
        clock = ManualClock(START)
        gw = build_gateway(tmp, cp, region, clock)
        try:
            run_day(gw, clock, prefix="A" if cp == "cp-zz" else "B")
            clock.advance(timedelta(minutes=6))
            gw.cameras.check_silent()  # the cameras went quiet: checkpoint alerts
            if cp == "cp-zz":
                gw.cameras.intake(exit_read(clock, 1))  # a truck left without release
            send(c, f"gw-{cp}", gateway_token(app, f"gw-{cp}"), records(gw))
        finally:
            gw.store.close()
    app.state.projector.run_until_idle()
    with app.state.sessions.begin() as s:
        for dev, village in (("co-hb-1", "130102001001"), ("co-sx-1", "140200001001")):
            s.add(
                CoDevice(
                    device_id=dev,
                    registered=True,
                    region_code=village,
                    household_name="王家",
                    online=True,
                    battery_pct=80,
                    last_seen=START + timedelta(hours=4),
                )
            )
            for k in range(48):  # 4 hours at 5-minute states, a spike in the middle
                at = START + timedelta(minutes=5 * k)
                ppm = 180 if 20 <= k <= 24 else 3
                s.add(
                    CoMessageRow(
                        device_id=dev,
                        seq=k,
                        kind="state",
                        ts=at,
                        received_at=at,
                        payload={"co_ppm": ppm},
                    )
                )
            s.add(
                CoAlert(
                    device_id=dev,
                    region_code=village,
                    kind="co_alarm",
                    severity="critical",
                    status="open",
                    opened_at=START + timedelta(minutes=100),
                    updated_at=START + timedelta(minutes=100),
                    occurrences=1,
                    detail={},
                    escalation_level=1,
                )
            )
    return tok


@pytest.fixture
def served(tmp_path: Path, cloud_db: str) -> Iterator[tuple[str, object, dict[str, str]]]:
    app = make_app(cloud_db, ManualClock(START + timedelta(hours=4)))
    tok = _seed(app, tmp_path)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    wait_for(lambda: server.started, timeout=20, what="cloud server start", retry_errors=True)
    try:
        yield f"http://127.0.0.1:{port}", app, tok
    finally:
        server.should_exit = True
        th.join(timeout=20)


@pytest.mark.timeout(180)
def test_county_operator_in_chromium(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, app, tok = served
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    assert httpx.get(base + "/", follow_redirects=False).headers["location"] == "/login"
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        b.goto(base + "/login")
        b.eval(
            f"document.querySelector('#token').value = {tok['county']!r};"
            "document.querySelector('#login button').click();"
        )
        wait_for(
            lambda: (
                b.eval("location.pathname") == "/"
                and b.eval("document.readyState") == "complete"
                and "区域总览" in b.eval("document.body.innerText")
            ),
            timeout=20,
            what="overview after login",
            retry_errors=True,
        )
        text = b.eval("document.body.innerText")
        assert "涿州检查站" in text and "county-130102" in text
        assert "大同检查站" not in text and "co-sx-1" not in text  # another province
        assert "co-hb-1" in text
        rows = b.eval("[...document.querySelectorAll('tr[data-alert]')].map(r => r.dataset.alert)")
        # The county's alarm alert, its checkpoint's three silent cameras and a bypass;
        # nothing of Shanxi.
        assert sorted(r[:3] for r in rows) == ["co-", "cp-", "cp-", "cp-", "cp-"]
        b.screenshot(shots / "cloud-overview.png")

        # Acknowledge the checkpoint's camera alert from the page.
        cp_alert = next(r for r in rows if r.startswith("cp-"))
        row = f"document.querySelector('tr[data-alert=\"{cp_alert}\"]')"
        b.eval(f"{row}.querySelector('button[data-action=ack]').click()")
        wait_for(
            lambda: (
                b.eval(f"document.querySelector('tr[data-alert=\"{cp_alert}\"]').dataset.status")
                == "acknowledged"
            ),
            timeout=20,
            what="alert acknowledged on the page",
            retry_errors=True,
        )
        with app.state.sessions() as s:
            a = s.get(CheckpointAlert, int(cp_alert.split("-")[1]))
            assert (a.status, a.acknowledged_by) == ("acknowledged", "county-130102")
        assert "已确认" in b.eval("document.querySelector('#msg').textContent")

        b.goto(base + "/checkpoints/cp-zz")
        text = b.eval("document.body.innerText")
        assert "劝返" in text and "冀A20000" in text and "张*" in text and "张三" not in text
        b.goto(base + "/checkpoints/cp-dt")
        assert "大同检查站" not in b.eval("document.body.innerText")  # 404 for the county

        b.goto(base + "/alarms/co-hb-1?hours=6")
        n = b.eval(
            "document.querySelector('#co-plot polyline').getAttribute('points').split(' ').length"
        )
        assert n == 48
        assert "王*" in b.eval("document.body.innerText")
        b.screenshot(shots / "cloud-alarm.png")
        assert (shots / "cloud-alarm.png").stat().st_size > 10_000
    finally:
        b.close()


# What each page must say in each language (words from the locale catalogs).
PAGE_WORDS = {
    "zh": {
        "/": ["区域总览 · 长安区", "紧急告警", "涿州检查站", "时间均为北京时间"],
        "/alerts": ["告警列表", "摄像头无数据", "未放行驶离", "一氧化碳报警", "紧急"],
        "/alerts?status=resolved&source=co": ["告警列表", "无"],
        "/checkpoints/cp-zz": [
            "检查站 · 涿州检查站",
            "最近检查",
            "已劝返",
            "已送检",
            "已放行",
            "暂定限值，以正式标准为准",
        ],
        "/alarms/co-hb-1?hours=6": ["报警器 · co-hb-1", "最近 6 小时一氧化碳浓度", "在线"],
        "/checkpoints/cp-dt": ["未找到", "没有检查站 cp-dt"],
        "/api/v1/reports/daily?date=2026-11-23&format=html&lang=zh": [
            "每日调度",
            "生成时间 2026-11-23 12:30:00（北京时间）",
            "一、检查站煤质检查",
        ],
        "/board": ["实时报警 · 长安区", "一氧化碳报警", "王*", "开启声音", "co-hb-1"],
        "/history": ["一氧化碳报警历史 · 长安区（最近 30 天）", "各村", "示例一村"],
        "/history/villages/130102001001": ["示例一村 的一氧化碳报警", "各住户", "未处理"],
    },
    "en": {
        "/": [
            "Region overview · Chang'an District",
            "Critical alerts",
            "涿州检查站",
            "Beijing time",
        ],
        "/alerts": ["Alerts", "camera silent", "left without release", "CO alarm", "Critical"],
        "/alerts?status=resolved&source=co": ["Alerts", "None"],
        "/checkpoints/cp-zz": [
            "Checkpoint · 涿州检查站",
            "Recent inspections",
            "Sent to lab",
            "Released",
            "Provisional limits; the published standard prevails",
        ],
        "/alarms/co-hb-1?hours=6": ["CO alarm · co-hb-1", "CO concentration, last 6 hours"],
        "/checkpoints/cp-dt": ["Not found", "No checkpoint cp-dt"],
        "/api/v1/reports/daily?date=2026-11-23&format=html&lang=en": [
            "daily dispatch",
            "generated 2026-11-23 12:30:00 (Beijing time",
            "1. Coal quality at checkpoints",
        ],
        "/board": ["Live alarms · Chang'an District", "CO alarm", "王*", "Sound on", "co-hb-1"],
        "/history": [
            "CO alarm history · Chang'an District (last 30 days)",
            "Per village",
            "Example Village 1",
        ],
        "/history/villages/130102001001": ["CO alarms of Example Village 1", "Per household"],
    },
}
# Chinese words of the page chrome that must not be left on an English page.
CHINESE_CHROME = [
    "区域总览",
    "告警列表",
    "未处理",
    "检查站 ·",
    "退出",
    "时间",
    "状态",
    "合格",
    "实时报警",
    "报警历史",
    "联系人",
]
STATE_NAMES = [
    "arrived",
    "registered",
    "fast_pass",
    "awaiting_sample",
    "sampled",
    "tested",
    "judged",
    "released",
    "turned_back",
    "lab_sample",
    "cancelled",
]


def _check_words(text: str, lang: str, path: str) -> None:
    for word in PAGE_WORDS[lang][path]:
        assert word in text, f"{lang} {path}: {word!r} missing"
    assert not re.search(r"\{[a-z_]+\}", text), f"{lang} {path}: a {{placeholder}} is shown"
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), f"{lang} {path}: a raw name is shown"
    assert not re.search(r"\b\w+=\w+", text), f"{lang} {path}: key=value text is shown"
    assert not re.search(r"\b[a-z]+\.[a-z_]+\b", text), f"{lang} {path}: a raw alert kind"
    if lang == "zh":
        shown = set(re.findall(r"[a-z_]+", text))
        assert not shown & set(STATE_NAMES), f"zh {path}: raw state names {shown}"
    else:
        left = [w for w in CHINESE_CHROME if w in text]
        assert left == [], f"en {path}: Chinese chrome left: {left}"


@pytest.mark.timeout(240)
def test_every_page_renders_in_chinese_and_english(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each dashboard page and the HTML report, in both languages, times in Beijing time."""
    binary = require_binary("chromium")
    base, app, tok = served
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    b = Browser(binary, tmp_path / "chromium-profile")

    def open_page(path: str, lang: str) -> str:
        b.call("Page.navigate", url=base + path)
        wait_for(
            lambda: (
                b.eval("location.href") == base + path
                and b.eval("document.readyState") == "complete"
                and b.eval("document.documentElement.lang").startswith(lang)
            ),
            timeout=20,
            what=f"{path} in {lang}",
            retry_errors=True,
        )
        return b.eval("document.body.innerText")

    try:
        b.goto(base + "/login")
        assert "访问令牌" in b.eval("document.body.innerText")  # Chinese by default
        b.eval(
            f"document.querySelector('#token').value = {tok['county']!r};"
            "document.querySelector('#login button').click();"
        )
        wait_for(
            lambda: (
                b.eval("location.pathname") == "/"
                and "区域总览" in b.eval("document.body.innerText")
            ),
            timeout=20,
            what="overview after login",
            retry_errors=True,
        )
        for lang in ("zh", "en"):
            if lang == "en":  # the switch on the page, remembered for the next pages
                b.eval("document.querySelector('#lang-switch').click()")
                wait_for(
                    lambda: (
                        b.eval("document.documentElement.lang") == "en"
                        and b.eval("document.readyState") == "complete"
                    ),
                    timeout=20,
                    what="page switched to English",
                    retry_errors=True,
                )
            for n, path in enumerate(PAGE_WORDS[lang]):
                text = open_page(path, lang)
                _check_words(text, lang, path)
                b.screenshot(shots / f"cloud-{lang}-{n}.png")
            # START + 100 min is 02:10 UTC, 10:10 in Beijing: pages show the local hour.
            text = open_page("/alerts", lang)
            assert "2026-11-23 10:10" in text and "02:10" not in text
            # The switch is the user's own setting: it follows them to another client.
            page = httpx.get(base + "/alerts", headers=bearer(tok["county"])).text
            assert f'<html lang="{"en" if lang == "en" else "zh-CN"}">' in page
        # And back to Chinese.
        open_page("/alerts", "en")
        b.eval("document.querySelector('#lang-switch').click()")
        wait_for(
            lambda: (
                b.eval("document.documentElement.lang") == "zh-CN"
                and "告警列表" in b.eval("document.body.innerText")
            ),
            timeout=20,
            what="page switched back to Chinese",
            retry_errors=True,
        )
        with app.state.sessions() as s:
            assert s.scalar(select(CloudUser.lang).where(CloudUser.name == "county-130102")) == "zh"
        assert (shots / "cloud-en-4.png").stat().st_size > 10_000
    finally:
        b.close()


def test_language_switch_goes_back_only_within_the_site(cloud_db: str) -> None:
    c = client(make_app(cloud_db))
    for target, expected in (
        ("/alerts?status=resolved", "/alerts?status=resolved"),
        ("//evil.example/x", "/"),
        ("/\\evil.example/x", "/"),
        ("https://evil.example/", "/"),
    ):
        r = c.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"] == expected, target
    assert 'cg_lang="en"' in r.headers["set-cookie"] or "cg_lang=en" in r.headers["set-cookie"]
    assert "Sign in" in c.get("/login").text  # this browser now reads English


def test_the_users_language_setting_words_pages_and_api_refusals(cloud_db: str) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    c = client(app)
    admin = bearer(tok["admin"])
    refused = c.post("/api/v1/users/nobody/revoke", headers=admin).json()["detail"]
    assert "nobody" in refused and re.search(r"[\u4e00-\u9fff]", refused)  # Chinese by default
    assert c.put("/api/v1/auth/me/lang", json={"lang": "en"}, headers=admin).json() == {
        "lang": "en"
    }
    assert c.get("/api/v1/auth/me", headers=admin).json()["lang"] == "en"
    refused = c.post("/api/v1/users/nobody/revoke", headers=admin).json()["detail"]
    assert "nobody" in refused and not re.search(r"[\u4e00-\u9fff]", refused)
    assert '<html lang="en">' in c.get("/alerts", headers=admin).text
    assert c.put("/api/v1/auth/me/lang", json={"lang": "fr"}, headers=admin).status_code == 422
