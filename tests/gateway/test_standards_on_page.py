"""The checkpoint page says when a verdict rests on provisional limits, and why there is none.

In headless Chromium, signed in, in Chinese and in English (the page's own switch).
"""

from __future__ import annotations

import pytest

from coalguard.gateway.web import create_app
from coalguard.i18n import t
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.gateway.conftest import PASSING, drive_to_judged, registration
from tests.gateway.session import add_user, browser_sign_in, browser_switch_to_english
from tests.gateway.test_pages_in_chromium import visible_text
from tests.support.servers import ThreadServer


def _briquette(gw) -> str:  # type: ignore[no-untyped-def]
    """A briquette truck: Hebei enforces GB 34170 型煤1号, shipped without limits."""
    wf = gw.workflow
    iid = wf.arrive("冀B54321", "王五")
    wf.register(iid, "王五", registration("冀B54321", "briquette"))
    wf.check_fast_pass(iid, "王五")
    sample = wf.take_sample(iid, "王五", {"seal_no": "F-S2"})  # the gateway issues the id
    wf.record_result("an-1", PASSING, sample_id=sample)
    return iid


@pytest.mark.timeout(120)
def test_provisional_limits_and_missing_limits_are_said_on_the_page(gw, tmp_path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    provisional = drive_to_judged(gw, PASSING)  # GB 34169 无烟1号: verified = false
    no_limits = _briquette(gw)
    add_user(gw.store, "admin", "admin", "赵管理")
    version = gw.profiles.version
    with ThreadServer(create_app(gw, lang="zh")) as server:
        b = Browser(binary, tmp_path / "chromium-profile")
        try:
            b.goto(server.url + "/")
            browser_sign_in(b, "admin")
            for lang in ("zh", "en"):
                if lang == "en":
                    browser_switch_to_english(b)
                b.goto(f"{server.url}/?id={provisional}")
                assert b.eval("document.querySelector('#provisional').innerText") == t(
                    "standards.provisional", lang
                )
                assert b.eval("document.querySelector('#profile-set').innerText") == version
                assert t("standards.provisional", lang) in visible_text(b)
                b.goto(f"{server.url}/?id={no_limits}")
                text = visible_text(b)
                assert t("standards.no_limits_why", lang) in text
                assert t("action.lab_sample", lang) in text  # the lab is offered
                assert t("standards.provisional", lang) in text  # its profile is provisional too
        finally:
            b.close()
    assert t("standards.provisional", "zh") == "暂定限值，以正式标准为准"
