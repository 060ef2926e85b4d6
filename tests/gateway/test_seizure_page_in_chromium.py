"""In headless Chromium: the operator chooses the destination village from the pulled zone
list, sees why a truck bound for a 禁煤区 is to be held (zone, publish date), and holds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coalguard.gateway.web import create_app
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.gateway.conftest import registration
from tests.gateway.session import add_user, browser_sign_in
from tests.gateway.test_seizure import zone_list
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for


def _text(b: Browser, selector: str) -> str:
    return b.eval(f"(document.querySelector({json.dumps(selector)})||{{}}).innerText") or ""


def _state(b: Browser) -> str | None:
    return b.eval("(document.querySelector('#truck')||{dataset:{}}).dataset.state")


@pytest.mark.timeout(180)
def test_operator_registers_a_truck_for_a_no_coal_village_and_holds_it(gw, tmp_path: Path) -> None:
    binary = require_binary("chromium")
    gw.zones.replace(zone_list())
    iid = gw.workflow.arrive("冀A12345", "王五")
    add_user(gw.store, "wangwu", "operator", "王五")
    with ThreadServer(create_app(gw, lang="zh")) as server:
        b = Browser(binary, tmp_path / "chromium-profile")
        try:
            b.goto(server.url + f"/?id={iid}")
            browser_sign_in(b, "wangwu")
            b.goto(server.url + f"/?id={iid}")
            assert "zl-1" in _text(b, "#zone-list")
            choices = b.eval(
                "[...document.querySelectorAll('#choices-destination_village option')]"
                ".map(o => o.value)"
            )
            assert "东风村" in choices
            fill = {**registration(), "destination_village": "东风村"}
            b.eval(
                "(() => { const f = document.querySelector('#form-register');"
                f"const v = {json.dumps(fill, ensure_ascii=False)};"
                "for (const [k, x] of Object.entries(v)) f.elements[k].value = x;"
                "f.querySelector('button').click(); })()"
            )
            wait_for(lambda: _state(b) == "registered", 20, what="registered", retry_errors=True)
            zone = _text(b, "#zone")
            assert "应予查扣" in zone and "东风村" in zone and "2026-10-01" in zone, zone
            assert b.eval("document.querySelector('#zone').classList.contains('seizure')")
            assert b.eval("!!document.querySelector('#form-check_fast_pass')") is False
            b.eval("document.querySelector('#form-hold_for_seizure button').click()")
            wait_for(lambda: _state(b) == "held_for_seizure", 20, what="held", retry_errors=True)
            assert "已查扣" in _text(b, "#state")
            assert "查扣：运往禁煤区" in _text(b, "#history")
        finally:
            b.close()
