"""The local page and API through HTTP (FastAPI TestClient; Chromium test is separate)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from fastapi.testclient import TestClient

from coalguard import __version__
from coalguard.gateway.web import create_app
from tests.gateway.conftest import CAMERA_AUTH, FAILING, registration
from tests.gateway.session import add_user, sign_in
from tests.gateway.test_cameras import plate_event
from tests.support.metrics import samples


@pytest.fixture
def client(gw):
    add_user(gw.store, "wangwu", "operator", "王五")
    with TestClient(create_app(gw, lang="zh"), follow_redirects=True) as c:
        sign_in(c, "wangwu")
        yield c


def test_page_is_chinese_and_drives_a_truck_to_turn_back(client, gw):
    r = client.get("/")
    assert r.status_code == 200 and "煤质检查站" in r.text and "暂无车辆" in r.text
    r = client.post("/ui/arrive", data={"plate": "冀A12345", "operator": "王五"})
    assert "已到站" in r.text and "冀A12345" in r.text
    iid = re.search(r'data-id="([^"]+)"', r.text).group(1)
    r = client.post(f"/ui/inspections/{iid}/register", data=registration() | {"operator": "王五"})
    assert "已登记" in r.text
    r = client.post(f"/ui/inspections/{iid}/check_fast_pass", data={"operator": "王五"})
    assert "不在快速通行名单" in r.text and "待抽样" in r.text
    r = client.post(
        f"/ui/inspections/{iid}/take_sample", data={"seal_no": "F1", "operator": "王五"}
    )
    sample_id = gw.workflow.get(iid)["sample_id"]
    assert sample_id == "cp-test-20261123-001"  # issued by the gateway: checkpoint, local day
    r = client.post(
        "/ui/results",
        data={"sample_id": sample_id, "operator": "王五"} | {k: str(v) for k, v in FAILING.items()},
    )
    assert "不合格" in r.text and 'id="form-turn_back"' in r.text
    r = client.post(
        f"/ui/inspections/{iid}/turn_back", data={"reason": "灰分超标", "operator": "王五"}
    )
    assert "已劝返" in r.text
    assert gw.workflow.get(iid)["state"] == "turned_back"
    # every step is the signed-in person's, the hand-typed result's binding too
    assert {s["operator"] for s in gw.workflow.steps(iid)} - {"system"} == {"王五 (wangwu)"}
    bind = next(s for s in gw.workflow.steps(iid) if s["action"] == "bind_result")
    assert bind["operator"] == "王五 (wangwu)"


def test_refused_step_shows_the_reason_in_chinese(client, gw):
    iid = gw.workflow.arrive("冀A12345", "王五")
    r = client.post(f"/ui/inspections/{iid}/release", data={"operator": "王五"})
    assert r.status_code == 409
    assert "不能执行" in r.text and 'id="error"' in r.text
    r = client.post(
        f"/ui/inspections/{iid}/register",
        data=registration() | {"weight_t": "abc", "operator": "王五"},
    )
    assert r.status_code == 409 and "weight_t" in r.text


def test_camera_push_api(client, gw, clock):
    ev = plate_event(clock, 1)
    r = client.post("/api/v1/camera-events", json=ev, headers=CAMERA_AUTH)
    assert r.status_code == 201 and r.json()["inspection_id"]
    assert client.post("/api/v1/camera-events", json=ev, headers=CAMERA_AUTH).status_code == 200
    bad = client.post(
        "/api/v1/camera-events", json=ev | {"event_id": "x", "confidence": 3}, headers=CAMERA_AUTH
    )
    assert bad.status_code == 422 and "confidence" in bad.json()["reason"]
    r = client.post(
        "/api/v1/camera-events",
        content=b"{nope",
        headers=CAMERA_AUTH | {"content-type": "application/json"},
    )
    assert r.status_code == 400
    r = client.post(
        "/api/v1/camera-events",
        json=[plate_event(clock, 2), plate_event(clock, 3)],
        headers=CAMERA_AUTH,
    )
    assert [x["status"] for x in r.json()["results"]] == ["accepted", "accepted"]
    assert gw.cameras.dead_letters() == 2


def test_healthz_and_metrics(client, gw, clock):
    client.post("/api/v1/camera-events", json=plate_event(clock, 1), headers=CAMERA_AUTH)
    h = client.get("/healthz").json()
    assert h["status"] == "ok" and h["checkpoint"] == "cp-test"
    text = client.get("/metrics").text
    # parsed as Prometheus does: every family and sample is well formed
    got = samples(text)
    assert got[("coalguard_gateway_outbox_depth", ())] >= 1
    age = "coalguard_gateway_device_last_seen_age_seconds"
    assert got[(age, (("device", "cam-entry"), ("kind", "camera")))] == 0
    assert got[(age, (("device", "an-1"), ("kind", "analyzer")))] == -1
    assert got[("coalguard_gateway_camera_events_total", (("outcome", "accepted"),))] == 1
    assert got[("coalguard_gateway_uplink_state", (("state", "not_configured"),))] == 1
    build = (("component", "gateway"), ("version", __version__))
    assert got[("coalguard_build_info", build)] == 1


def test_lab_steps_through_the_page(client, gw):
    from tests.gateway.conftest import RETEST, drive_to_judged

    iid = drive_to_judged(gw, RETEST)
    r = client.post(
        f"/ui/inspections/{iid}/lab_sample",
        data={"lab_sample_id": "L7", "lab_seal_no": "F7", "operator": "王五"},
    )
    assert "L7" in r.text and "已送检" in r.text
    lab_id = gw.lab.pending()[0]["id"]
    client.post(f"/ui/lab/{lab_id}/dispatch", data={"lab_name": "检测中心", "operator": "王五"})
    client.post(f"/ui/lab/{lab_id}/receive", data={"operator": "王五"})
    r = client.post(
        f"/ui/lab/{lab_id}/report",
        data={"report_no": "R1", "operator": "王五"} | {k: str(v) for k, v in FAILING.items()},
    )
    assert r.status_code == 200
    assert gw.lab.get(lab_id)["office_flagged"] == 1


def test_inspection_page_shows_the_lab_result_beside_the_rapid_one(client, gw):
    from tests.gateway.conftest import RETEST, drive_to_judged

    iid = drive_to_judged(gw, RETEST)  # rapid: St,d 0.41 against ≤ 0.40, retest
    lab_id = gw.workflow.lab_sample(iid, "王五", {"sample_id": "L8", "seal_no": "F8"})
    gw.lab.dispatch(lab_id, "王五", "检测中心")
    gw.lab.receive(lab_id, "王五")
    gw.lab.report(lab_id, "王五", "R-8", FAILING)

    page = client.get(f"/?id={iid}").text
    section = page[page.index('id="lab-L8"') :]
    section = section[: section.index("</section>")]
    assert "实验室检测结果" in section and "R-8" in section
    assert "与快检同一标准和版本" in section and "GB 34169-2017" in section
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [
                html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                for c in re.findall(r"<td>(.*?)</td>", tr)
            ]
            for tr in re.findall(r"<tr>(.*?)</tr>", section)
        )
        if cells
    }
    # indicator: rapid value, lab value, limit, rapid result, lab result
    assert rows["St_d"] == ["0.41", "1.53", "≤ 0.4 %", "复检", "不合格"]
    assert rows["Ad"][2:] == ["≤ 12.5 %", "合格", "不合格"]
    assert "取样" in section and "实验室接收" in section and "出具报告" in section
    # The same in English for a user who reads English.
    add_user(gw.store, "zhaoliu", "operator", "赵六")
    with TestClient(create_app(gw, lang="en"), follow_redirects=True) as en:
        sign_in(en, "zhaoliu")
        page = en.get(f"/?id={iid}").text
    section = page[page.index('id="lab-L8"') :]
    section = section[: section.index("</section>")]
    for words in ("Laboratory result", "Rapid value", "Lab value", "Received at lab"):
        assert words in section
    assert "same standard and version as the rapid test" in section
    assert "实验室" not in section and "快检" not in section


def test_ledger_page_shows_books_verifies_and_takes_corrections(client, gw):
    add_user(gw.store, "lead", "shift_lead", "赵班长")
    sign_in(client, "lead")
    entry = gw.duty.duty("王五", "on_duty", "早班")
    r = client.get("/ledger?book=duty")
    assert "值班值守记录" in r.text and "早班" in r.text and "哈希链校验通过" in r.text
    r = client.post(
        f"/ui/ledger/{entry.id}/correct",
        data={"reason": "班次写错", "note": "中班", "operator": "王五"},
    )
    assert r.status_code == 200 and "中班" in r.text and "更正自" in r.text
    assert [e.corrects for e in gw.ledger.entries("duty")] == [entry.id, None]
    with gw.store.tx() as db:
        db.execute("DROP TRIGGER ledger_no_update")
        db.execute("UPDATE ledger SET body = replace(body, '早班', '晚班') WHERE seq = 1")
    r = client.get("/ledger?book=duty")
    assert "台账被改动" in r.text and "值班值守记录 #1" in r.text


def test_alerts_read_in_chinese(client, gw, clock):
    from datetime import timedelta

    clock.advance(timedelta(minutes=6))
    gw.cameras.check_silent()
    r = client.get("/")
    assert "摄像机 cam-entry 长时间无信号" in r.text


def test_camera_token_when_configured(client, gw, clock):
    gw.config.http.camera_token = "s3cret-token"
    ev = plate_event(clock, 1)
    assert client.post("/api/v1/camera-events", json=ev).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert client.post("/api/v1/camera-events", json=ev, headers=bad).status_code == 401
    good = {"Authorization": "Bearer s3cret-token"}
    assert client.post("/api/v1/camera-events", json=ev, headers=good).status_code == 201
    assert gw.cameras.counters.rejected == 2


def _banner(html: str) -> str:
    m = re.search(r'<div class="err" id="error">(.*?)</div>', html, re.S)
    assert m, "no refusal banner on the page"
    return html_lib.unescape(m.group(1))


def test_refusal_banner_names_state_and_action_in_words(client, gw):
    iid = gw.workflow.arrive("冀A12345", "王五")
    gw.workflow.cancel(iid, "王五", "走错道")
    r = client.post(f"/ui/inspections/{iid}/register", data=registration())
    assert r.status_code == 409
    banner = _banner(r.text)
    # was: 车辆 冀A12345 当前状态为「cancelled」，不能执行「register」；可执行：close_case
    assert "当前状态为「已取消」" in banner and "不能执行「登记」" in banner
    assert "可执行：结案" in banner
    for raw in ("cancelled", "register", "close_case"):
        assert raw not in banner
    # a refused field is named as the form labels it, not by its form name
    other = gw.workflow.arrive("冀B54321", "王五")
    r = client.post(
        f"/ui/inspections/{other}/register",
        data=registration("冀B54321") | {"weight_t": "abc"},
    )
    assert r.status_code == 409 and "申报重量(吨)" in _banner(r.text)
    assert "weight_t" not in _banner(r.text)
    # and in English, for a person who chose English
    r = client.post("/lang", data={"lang": "en", "next": "/"})
    assert r.status_code == 200 and '<html lang="en">' in r.text
    r = client.post(f"/ui/inspections/{iid}/register", data=registration())
    banner = _banner(r.text)
    assert "'Cancelled'" in banner and "'Register'" in banner and "Close case" in banner
    assert "cancelled" not in banner and "close_case" not in banner


def test_language_is_the_accounts_setting_and_survives_sign_out(client, gw):
    assert '<html lang="zh-CN">' in client.get("/").text  # default Chinese
    r = client.post("/lang", data={"lang": "en", "next": "/ledger"})
    assert r.url.path == "/ledger" and "Ledgers intact" in r.text
    client.cookies.clear()  # another browser: the account still reads English
    sign_in(client, "wangwu")
    assert "At the gate" in client.get("/").text
    r = client.post("/lang", data={"lang": "xx", "next": "/"})
    assert r.status_code == 422 and "xx" in r.text
    r = client.post("/lang", data={"lang": "zh", "next": "//evil.example/"})
    assert r.url.path == "/" and "当前车辆" in r.text  # never off-site


def test_language_switch_needs_the_csrf_token(client, gw):
    r = client.post("/lang", data={"lang": "en"}, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    assert '<html lang="zh-CN">' in client.get("/").text


def test_login_page_language_switch_before_sign_in(gw):
    with TestClient(create_app(gw, lang="zh"), follow_redirects=True) as c:
        assert "值班员登录" in c.get("/login").text
        origin = {"Origin": str(c.base_url).rstrip("/")}
        r = c.post("/lang", data={"lang": "en", "next": "/login"}, headers=origin)
        assert r.url.path == "/login" and "Sign in" in r.text
        r = c.post("/lang", data={"lang": "zh"}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
        assert "Sign in" in c.get("/login").text


def test_gateway_refusal_names_no_raw_identifiers(client, gw):
    """A refused form says what is wrong in Chinese: no pydantic English, no raw names."""
    other = gw.workflow.arrive("冀B54321", "王五")
    r = client.post(
        f"/ui/inspections/{other}/register",
        data=registration("冀B54321") | {"weight_t": "abc"},
    )
    # was: 字段 weight_t 有误：Input should be a valid number, unable to parse string as a number
    assert r.status_code == 409 and "申报重量(吨)" in _banner(r.text)
    assert "应为数值" in _banner(r.text) and "Input should" not in _banner(r.text)
    r = client.post(
        f"/ui/inspections/{other}/register",
        data=registration("冀B54321") | {"coal_type": "peat"},
    )
    assert r.status_code == 409 and "未知煤种 peat" in _banner(r.text)
    assert "unknown coal type" not in _banner(r.text)
    r = client.post("/ui/results", data={"Aad": "nan"})  # not a finite number
    assert r.status_code == 409 and "NaN" in _banner(r.text) and "finite" not in r.text
    r = client.post("/ui/duty", data={"action": "nap"})
    assert r.status_code == 409 and "请选择上岗、离岗或备注" in _banner(r.text)
    # a correction with no reason (was: "a correction needs a reason")
    add_user(gw.store, "lead", "shift_lead", "赵班长")
    sign_in(client, "lead")
    entry = gw.duty.duty("王五", "on_duty", "早班")
    r = client.post(f"/ui/ledger/{entry.id}/correct", data={"reason": " ", "note": "中班"})
    assert r.status_code == 400 and "更正必须填写原因" in _banner(r.text)
    # an admin choosing a role that does not exist (was: "role must be one of ...")
    add_user(gw.store, "boss", "admin", "管理员")
    sign_in(client, "boss")
    r = client.post("/ui/users", data={"username": "x1", "password": "p" * 12, "role": "king"})
    assert r.status_code == 409 and "未知角色 king" in _banner(r.text)
    assert "role must be" not in r.text
