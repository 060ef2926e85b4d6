"""The dashboard in headless Chromium: a county operator logs in, sees only the county,
acknowledges an alert, looks at an alarm's CO history; screenshots for a person to check."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from coalguard.cloud.checks.tables import CheckpointAlert
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoMessageRow
from coalguard.gateway.clock import ManualClock
from tests.cloud.checkpoint_feed import (
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
from tests.gateway.waiting import wait_for


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
    app = make_app(cloud_db)
    app.state.clock = ManualClock(START + timedelta(hours=4))
    tok = _seed(app, tmp_path)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    wait_for(lambda: server.started, timeout=20, what="cloud server start")
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
        )
        text = b.eval("document.body.innerText")
        assert "涿州检查站" in text and "county-130102" in text
        assert "大同检查站" not in text and "co-sx-1" not in text  # another province
        assert "co-hb-1" in text
        rows = b.eval("[...document.querySelectorAll('tr[data-alert]')].map(r => r.dataset.alert)")
        # The county's alarm alert and its checkpoint's three silent cameras; nothing of Shanxi.
        assert sorted(r[:3] for r in rows) == ["co-", "cp-", "cp-", "cp-"]
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
