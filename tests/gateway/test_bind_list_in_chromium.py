"""The bind list in headless Chromium, Chinese then English (issue 12).

Today's list offered any of the last ten results, newest first, without
values, including results measured before the truck was sampled. Now it
shows the lane's results measured after sampling, each with its values and
the verdict it would give; a result measured before is refused on the page
with the reason.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from coalguard.gateway.web import create_app
from coalguard.i18n import t
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.gateway.conftest import FAILING, PASSING, registration
from tests.gateway.session import add_user, browser_sign_in, browser_switch_to_english
from tests.gateway.test_pages_in_chromium import check_words, visible_text
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

EARLY = {**PASSING, "Aad": 20.5}  # the truck before: measured before this sample was taken


@pytest.fixture
def sampled_truck(gw, clock):
    wf = gw.workflow
    iid = wf.arrive("冀A12345", "王五")
    wf.register(iid, "王五", registration())
    wf.check_fast_pass(iid, "王五")
    early = wf.record_result("an-1", EARLY)  # 08:30:00
    clock.advance(timedelta(minutes=2))
    wf.take_sample(iid, "王五", {"seal_no": "F-0001"})  # 08:32
    clock.advance(timedelta(minutes=1))
    wf.record_result("an-1", PASSING)  # 08:33
    wf.record_result("an-9", FAILING)  # an analyzer of no lane here: not offered
    clock.advance(timedelta(minutes=3))
    failing = wf.record_result("an-1", FAILING)  # 08:36
    add_user(gw.store, "wangwu", "operator", "王五")
    return {"iid": iid, "early": early, "failing": failing}


def rows(b: Browser) -> list[list[str]]:
    return b.eval(
        "[...document.querySelectorAll('#bind-list tr')].slice(1)"
        ".map(r => [...r.cells].slice(0, 4).map(c => c.innerText.trim()))"
    )


@pytest.mark.timeout(180)
def test_bind_list_shows_values_and_would_be_verdict(gw, sampled_truck, tmp_path: Path) -> None:
    binary = require_binary("chromium")
    iid = sampled_truck["iid"]
    with ThreadServer(create_app(gw, lang="zh")) as server:
        b = Browser(binary, tmp_path / "chromium-profile")
        try:
            b.goto(server.url + "/")
            browser_sign_in(b, "wangwu")
            for lang in ("zh", "en"):
                if lang == "en":
                    browser_switch_to_english(b)
                b.goto(f"{server.url}/?id={iid}")
                text = visible_text(b)
                check_words(text, lang, "bind list")
                assert t("gw_binding.candidates", lang) in text
                assert t("gw_binding.would_be", lang) in text
                # the sample's label fields
                assert b.eval("document.querySelector('#sample-id').innerText") == (
                    "cp-test-20261123-001"
                )
                assert "F-0001" in text and "08:32" in text
                # newest first, values shown, the verdict each would give; nothing earlier
                listed = rows(b)
                assert [r[0] for r in listed] == ["08:36:00", "08:33:00"]
                assert {r[1] for r in listed} == {"an-1"}
                assert "Aad 30" in listed[0][2] and "St_ad 1.5" in listed[0][2]
                assert "Aad 10" in listed[1][2]
                assert [r[3] for r in listed] == [t("status.fail", lang), t("status.pass", lang)]
                assert "20.5" not in b.eval("document.querySelector('#bind-list').innerText")
                b.screenshot(
                    Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
                    / f"{lang}-bind-list.png"
                )
            # A result measured before sampling, posted anyway: refused with the reason.
            b.eval(
                "const f = document.querySelector('#bind-list form');"
                f"f.querySelector('[name=result_id]').value = {json.dumps(sampled_truck['early'])};"
                "f.querySelector('button').click();"
            )
            wait_for(
                lambda: b.eval("!!document.querySelector('#error')") is True,
                timeout=20,
                what="the refusal",
                retry_errors=True,
            )
            error = b.eval("document.querySelector('#error').innerText")
            assert "before sample cp-test-20261123-001" in error, error
            assert gw.workflow.get(iid)["state"] == "sampled"
            # Choosing the failing result binds and judges it.
            b.goto(f"{server.url}/?id={iid}")
            b.eval("document.querySelector('#bind-list form button').click()")
            wait_for(
                lambda: (
                    b.eval("(document.querySelector('#state')||{}).textContent")
                    == t("state.judged", "en")
                ),
                timeout=20,
                what="judged",
                retry_errors=True,
            )
            insp = gw.workflow.get(iid)
            assert insp["overall"] == "fail"
            assert insp["result"]["result_id"] == sampled_truck["failing"]
        finally:
            b.close()
