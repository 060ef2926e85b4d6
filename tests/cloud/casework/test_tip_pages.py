"""The casework pages in headless Chromium on a phone-sized screen: a tip recorded at the
office, a region notified, a case opened from it with a rectification deadline, the
rectification accepted so the case closes, the tip's reward approved; the ledger and
the zones' clearance pages show their items in words, no raw names."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cloud.casework.casework_support import VILLAGE, Cloud, casework_cloud
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.dashboard_browser import no_raw_names, open_page, page_text, sign_in
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Cloud]]:
    cloud = casework_cloud(tmp_path)
    with ThreadServer(cloud.app) as server:
        yield server.url, cloud


def _fill(b: Browser, form: str, **values: str) -> None:
    """Fill and submit ``form`` once its page has loaded (market.js posts it)."""
    ready = f"document.readyState === 'complete' && !!document.querySelector({form!r})"
    wait_for(lambda: b.eval(ready), 20, f"the form {form}", retry_errors=True)
    sets = "".join(f"f.elements[{k!r}].value = {v!r};" for k, v in values.items())
    b.eval(f"(() => {{ const f = document.querySelector({form!r}); {sets} f.requestSubmit(); }})()")


def _click(b: Browser, selector: str) -> None:
    """Click once the page has loaded (market.js listens for the click)."""
    ready = f"document.readyState === 'complete' && !!document.querySelector({selector!r})"
    wait_for(lambda: b.eval(ready), 20, f"the button {selector}", retry_errors=True)
    b.eval(f"document.querySelector({selector!r}).click()")


def _shows(b: Browser, selector: str, words: str) -> None:
    get = f"document.querySelector({selector!r})?.innerText || ''"
    wait_for(lambda: words in b.eval(get), 20, f"{selector} showing {words}", retry_errors=True)


@pytest.mark.timeout(240)
def test_a_tip_becomes_a_case_that_closes_through_rectification(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, cloud = served
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        b.call(
            "Emulation.setDeviceMetricsOverride",
            width=390,
            height=844,
            deviceScaleFactor=2,
            mobile=True,
        )
        # The office records a tip from the 12345 hotline; the contact shows masked.
        sign_in(b, base, cloud.tokens["office"])
        open_page(b, base + "/tips", "登记举报")
        _fill(
            b,
            "#tip-form",
            channel="hotline_12345",
            content="有人夜间用农用车向东关村各户送散煤",
            contact="13912345678",
            source="和政县某煤场",
            destination="东关村",
        )
        wait_for(lambda: "/tips/" in b.eval("location.pathname"), 20, "the tip", retry_errors=True)
        tip_url = b.eval("location.href")
        text = page_text(b)
        assert "139****5678" in text and "13912345678" not in text
        assert "12345热线" in text and "待审核" in text and "尚未立案" in text
        no_raw_names(text)

        # The coal's source county is told.
        _fill(b, "#notice-form", region_code="622925", note="线索涉及贵县煤场")
        _shows(b, "#tip-notices", "622925")

        # Market supervision opens a case from it, rectification due 20 June.
        sign_in(b, base, cloud.tokens["market"])
        open_page(b, tip_url, "据此立案")
        _fill(
            b,
            "#case-form",
            subject_kind="household",
            subject_ref=f"{VILLAGE}-3组12号",
            violation="illegal_transport",
            deadline="2026-06-20",
        )
        _shows(b, "#tip-case", "限期整改")
        assert "2026-06-20" in b.eval("document.querySelector('#case-deadline').innerText")
        assert "办理中" in b.eval("document.querySelector('#case-status').innerText")
        text = page_text(b)
        assert "私拉贩运" in text and "农户" in text
        no_raw_names(text)
        b.screenshot(shots / "cloud-tip-case.png")

        # The rectification is accepted: the case closes.
        _fill(b, "#accept-form", note="散煤已清运，车辆已登记")
        _shows(b, "#case-status", "整改验收通过")

        # The office approves the tip's reward.
        sign_in(b, base, cloud.tokens["office"])
        open_page(b, tip_url, "批准奖励")
        _click(b, "button[data-reward=approved]")
        _shows(b, "#tip-reward", "已批准")
        assert "奖励已发放" in page_text(b)  # the next move offered
        no_raw_names(page_text(b))

        # The case is among the market's cases, named by its subject.
        text = open_page(b, base + "/market/cases", "私拉贩运")
        assert f"{VILLAGE}-3组12号" in text and "整改验收通过" in text

        # The ledger and the zones' clearance pages read in words.
        open_page(b, base + "/ledger", "登记问题")
        _fill(b, "#ledger-form", region_code=VILLAGE, title="东关村散煤入户", deadline="2026-06-15")
        _shows(b, "#ledger", "东关村散煤入户")
        no_raw_names(page_text(b))
        open_page(b, base + "/zones/clearance", "登记散煤问题")
        _fill(b, "#finding-form", village=VILLAGE, household_ref="3组12号")
        _shows(b, "section.zone", "未清零 1 户")
        _click(b, "section.zone button")
        _shows(b, "section.zone", "未清零 0 户")
        no_raw_names(page_text(b))
        b.screenshot(shots / "cloud-zone-clearance.png")
    finally:
        b.close()
