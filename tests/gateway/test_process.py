"""The real gateway process: HTTP intake from the camera simulator, the page in
headless Chromium, ledger verification from the CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import COALGUARD, free_port, require_binary
from tests.gateway.cdp import Browser
from tests.gateway.session import PASSWORD, logged_in_client, submit_login_form
from tests.support.gateway import CAMERA_TOKEN, CONFIG, FASTPASS, GatewayProcess
from tests.support.metrics import sample
from tests.support.waiting import wait_for

CAMERA_AUTH = {"Authorization": f"Bearer {CAMERA_TOKEN}"}


@pytest.fixture
def gateway(tmp_path: Path):
    gp = GatewayProcess(tmp_path).start()
    try:
        yield gp.base, gp.cfg, tmp_path
    finally:
        gp.stop()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COALGUARD_LANG": "en"}
    return subprocess.run([COALGUARD, *args], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.timeout(120)
def test_camera_simulator_posts_to_the_running_gateway(gateway):
    base, _, tmp = gateway
    r = _cli(
        "sim",
        "camera",
        "--url",
        base,
        "--trucks",
        "6",
        "--interval",
        "0",
        "--duplicate-rate",
        "0.3",
        "--misread-rate",
        "0.3",
        "--seed",
        "7",
        "--token",
        "cam-token-e2e",
    )
    assert r.returncode == 0, r.stderr
    assert "posted" in r.stdout and "201" in r.stdout
    metrics = httpx.get(f"{base}/metrics").text
    accepted = sample(metrics, "coalguard_gateway_camera_events_total", outcome="accepted")
    dups = sample(metrics, "coalguard_gateway_camera_events_total", outcome="duplicate")
    assert accepted == 18 and dups > 0  # 6 trucks × 3 events, each stored once
    with logged_in_client(base, tmp / "data" / "gateway.sqlite") as c:
        assert "已到站" in c.get("/").text  # confident entry reads opened arrivals


@pytest.mark.timeout(60)
def test_verify_ledger_cli_detects_tampering(gateway):
    base, cfg, tmp = gateway
    with logged_in_client(base, tmp / "data" / "gateway.sqlite") as c:
        assert c.post("/ui/duty", data={"action": "on_duty", "note": "早班"}).status_code == 200
        assert c.post("/ui/arrive", data={"plate": "冀A12345"}).status_code == 200
    ok = _cli("gateway", "verify-ledger", "--config", str(cfg))
    assert ok.returncode == 0 and "ledger intact" in ok.stdout, ok.stderr
    db = sqlite3.connect(tmp / "data" / "gateway.sqlite")
    with db:
        db.execute("DROP TRIGGER ledger_no_update")
        db.execute("UPDATE ledger SET operator = '赵六' WHERE book = 'duty' AND seq = 1")
    db.close()
    bad = _cli("gateway", "verify-ledger", "--config", str(cfg))
    assert bad.returncode == 1 and "TAMPERED Duty record #1" in bad.stderr
    # in Chinese, book and problem in words (was: "台账被篡改 duty #1: ...")
    zh = _cli("gateway", "verify-ledger", "--config", str(cfg), "--lang", "zh")
    assert zh.returncode == 1 and "台账被篡改 值班值守记录 #1：" in zh.stderr
    assert "值班值守记录：1 条" in zh.stdout and "duty" not in zh.stdout + zh.stderr


def test_check_config_names_file_line_and_field(tmp_path):
    cfg = tmp_path / "gw.toml"
    cfg.write_text(
        CONFIG.format(port=8470).replace("[storage]", "[retention]\ncamera_days = 30\n\n[storage]"),
        encoding="utf-8",
    )
    r = _cli("gateway", "check-config", "--config", str(cfg))
    assert r.returncode == 2
    assert f"{cfg}, line 14, field 'retention.camera_days'" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.timeout(180)
def test_operator_signs_in_and_drives_a_truck_to_turn_back_in_chromium(gateway, tmp_path):
    binary = require_binary("chromium")
    base, cfg, _ = gateway
    added = subprocess.run(
        [COALGUARD, "gateway", "users", "add", "-c", str(cfg), "wangwu", "--name", "王五"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COALGUARD_LANG": "zh"},
    )
    assert added.returncode == 0 and "已添加账号 wangwu" in added.stdout, added.stderr
    # A camera sees the truck first: the arrival opens from the plate read.
    r = httpx.post(
        f"{base}/api/v1/camera-events",
        headers=CAMERA_AUTH,
        json={
            "camera_id": "cam-entry",
            "event_id": "e-1",
            "type": "plate",
            "ts": "2026-11-23T08:30:00+08:00",
            "plate": "冀A12345",
            "confidence": 0.97,
            "direction": "in",
            "snapshot": {"ref": "nvr://cam-entry/e-1.jpg", "sha256": "a" * 64},
        },
    )
    assert r.status_code == 201
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        b.goto(base + "/")  # not signed in: the login page
        assert b.eval("location.pathname") == "/login"
        assert b.eval("document.title").startswith("值班员登录")
        assert b.eval("!!document.querySelector('#error')") is False  # first visit: no "expired"

        submit_login_form(b, "wangwu", "wrong-password")
        wait_for(
            lambda: "账号或密码错误" in (b.eval("document.body.innerText") or ""),
            timeout=20,
            what="the refusal",
            retry_errors=True,
        )
        submit_login_form(b, "wangwu")
        wait_for(
            lambda: b.eval("(document.querySelector('#plate')||{}).textContent") == "冀A12345",
            timeout=20,
            what="the operator page after sign-in",
            retry_errors=True,
        )
        assert "王五 (wangwu)" in b.eval("document.querySelector('#who').textContent")
        assert b.eval("document.querySelector('#state').textContent") == "已到站"
        assert "nvr://cam-entry/e-1.jpg" in b.eval("document.body.innerText")

        def submit(form: str, values: dict[str, str], expect_state: str) -> None:
            js = [f"const f = document.querySelector('#form-{form}');"]
            for k, v in values.items():
                js.append(f"f.querySelector('[name={k}]').value = {json.dumps(v)};")
            js.append("f.querySelector('button').click();")
            b.eval("\n".join(js))
            wait_for(
                lambda: (
                    b.eval("document.readyState") == "complete"
                    and b.eval("(document.querySelector('#state')||{}).textContent") == expect_state
                ),
                timeout=20,
                what=f"state {expect_state} after {form}",
                retry_errors=True,
            )

        op: dict[str, str] = {}
        submit(
            "register",
            op
            | {
                "driver": "张三",
                "origin": "山西大同",
                "destination": "石家庄",
                "coal_type": "anthracite",
                "weight_t": "32.5",
                "consignor": "大同恒信煤业有限公司",
                "waybill_no": "WB-1",
            },
            "已登记",
        )
        submit("check_fast_pass", op, "待抽样")
        assert "不在快速通行名单" in b.eval("document.body.innerText")
        submit("take_sample", op | {"seal_no": "F-1"}, "已抽样")
        # the gateway issued the sample id: the label and the manual form carry it
        sample_id = b.eval("document.querySelector('#sample-id').innerText")
        assert sample_id.startswith("cp-") and sample_id.endswith("-001"), sample_id
        assert b.eval("document.querySelector('#form-result [name=sample_id]').value") == sample_id
        # The rapid result typed in by hand (the analyzer would post it the same way).
        values = {
            "Mt": "5",
            "Mad": "2",
            "Aad": "30",
            "Vad": "6",
            "St_ad": "1.5",
            "Qgr_ad": "30",
            "Had": "3",
        }
        submit("result", op | values, "已判定")
        assert b.eval("document.querySelector('#overall').textContent") == "不合格"
        verdict = b.eval("document.querySelector('#verdict').innerText")
        assert "Ad" in verdict and "≤ 12.5" in verdict
        # the default next step after a fail is 劝返
        assert b.eval("document.querySelector('#steps form').id") == "form-turn_back"
        submit("turn_back", op | {"reason": "灰分、硫分超标"}, "已劝返")
        history = b.eval("document.querySelector('#history').innerText")
        for step in ("车辆到站", "登记", "抽样", "判定", "劝返"):
            assert step in history
        assert "王五 (wangwu)" in history  # the signed-in person, not a typed name
        shot = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path)) / "gateway-turn-back.png"
        b.screenshot(shot)
        assert shot.stat().st_size > 10_000 and shot.read_bytes()[:4] == b"\x89PNG"
        b.eval("document.querySelector('#form-logout button').click()")
        wait_for(
            lambda: b.eval("(document.querySelector('#note')||{}).textContent") == "已退出登录",
            timeout=20,
            what="signed out",
            retry_errors=True,
        )
        b.goto(base + "/")  # the session is over on the server
        assert b.eval("location.pathname") == "/login"
    finally:
        b.close()
    assert httpx.get(f"{base}/api/v1/session").status_code == 401


def test_plain_http_cloud_url_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    # Regression: run.py built UplinkConfig directly, so this was a pydantic traceback.
    cfg = tmp_path / "gateway.toml"
    text = (
        CONFIG.format(port=free_port())
        + '\n[cloud]\nurl = "http://cloud.example.cn"\ntoken = "t0ken"\n'
    )
    cfg.write_text(text, encoding="utf-8")
    (tmp_path / "fastpass.toml").write_text(FASTPASS, encoding="utf-8")
    r = subprocess.run(
        [COALGUARD, "gateway", "run", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "http" in r.stderr and "cloud_url" in r.stderr


def test_check_config_refuses_plain_http_cloud_that_run_refuses(tmp_path: Path) -> None:
    # Regression (issue 10 item 13): check-config said "ok" to a file run refused.
    cfg = tmp_path / "gateway.toml"
    text = (
        CONFIG.format(port=free_port())
        + '\n[cloud]\nurl = "http://cloud.example.cn"\ntoken = "t0ken"\n'
    )
    cfg.write_text(text, encoding="utf-8")
    (tmp_path / "fastpass.toml").write_text(FASTPASS, encoding="utf-8")
    r = _cli("gateway", "check-config", "--config", str(cfg))
    assert r.returncode == 2, r.stdout
    assert "Traceback" not in r.stderr
    assert "plain http" in r.stderr and "cloud_url" in r.stderr
