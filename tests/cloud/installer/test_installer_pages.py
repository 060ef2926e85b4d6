"""The installer's phone page in headless Chromium at a phone's width, against the real
CO path (Mosquitto, ``co-ingest``, a simulated alarm): the household found or added,
the alarm id typed, the test started, the alarm's button pressed, the pass with its
times and the printable record; a test whose alarm never reports fails, said in Chinese."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.cloud.installer.field import (
    ALARM,
    VILLAGE,
    InstallerField,
    installer_field,
    one_alarm,
    press_test_button,
)
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.dashboard_browser import no_raw_names, page_text, sign_in
from tests.support.waiting import wait_for

PHONE_WIDTH = 390
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def phone_browser(tmp_path: Path) -> Browser:
    b = Browser(require_binary("chromium"), tmp_path / "chromium-profile")
    b.call(
        "Emulation.setDeviceMetricsOverride", width=PHONE_WIDTH, height=844, deviceScaleFactor=2,
        mobile=True,
    )  # fmt: skip
    return b


def open_ready(b: Browser, url: str, word: str) -> None:
    """Go to ``url``; return once it shows ``word`` and its deferred scripts ran."""
    b.call("Page.navigate", url=url)
    wait_for(
        lambda: b.eval("document.readyState") == "complete" and word in page_text(b),
        20, f"{url} showing {word!r}", retry_errors=True,
    )  # fmt: skip


def fill_and_submit(b: Browser, form: str, values: dict[str, str]) -> None:
    sets = "".join(f"f.elements[{k!r}].value = {v!r};" for k, v in values.items())
    b.eval(
        f"(() => {{ const f = document.querySelector('#{form}'); {sets} f.requestSubmit(); }})()"
    )


def waiting_for_the_button(b: Browser) -> None:
    wait_for(
        lambda: "请按下报警器上的测试按钮" in page_text(b)
        and b.eval("document.querySelector('#progress').hidden") is False,
        30, "the page asking for the test button", retry_errors=True,
    )  # fmt: skip


def add_household_and_start(b: Browser, f: InstallerField) -> None:
    """Signed in as the installer: a household typed in with its alarm, test started."""
    sign_in(b, f.base, f.installer_token)
    open_ready(b, f.base + "/install", "新增住户")
    b.eval("document.querySelector('#add-household').click()")
    wait_for(
        lambda: b.eval("location.pathname") == "/install/new"
        and b.eval("document.readyState") == "complete",
        20, "the new household form", retry_errors=True,
    )  # fmt: skip
    fill_and_submit(b, "commission-form", {
        "village_code": VILLAGE, "name": "赵家", "address": "3组1号",
        "phone": "13700001111", "device_id": ALARM,
    })  # fmt: skip


@pytest.mark.timeout(300)
def test_installer_adds_a_household_and_commissions_its_alarm_on_a_phone(tmp_path: Path) -> None:
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    with installer_field(tmp_path) as f, one_alarm(f) as fleet:
        b = phone_browser(tmp_path)
        try:
            add_household_and_start(b, f)
            waiting_for_the_button(b)
            assert b.eval("document.documentElement.scrollWidth") <= PHONE_WIDTH
            b.screenshot(shots / "cloud-installer-waiting-phone.png")
            press_test_button(fleet)
            wait_for(
                lambda: b.eval("location.pathname").startswith("/install/records/")
                and "调试通过" in page_text(b),
                60, "the record of the pass", retry_errors=True,
            )  # fmt: skip
            text = page_text(b)
            assert TIME.search(b.eval("document.querySelector('#test-event-at').innerText"))
            assert TIME.search(b.eval("document.querySelector('#state-at').innerText"))
            assert "赵*" in text and "赵家" not in text and "137****1111" in text
            assert "13700001111" not in text
            no_raw_names(text)
            assert b.eval("document.documentElement.scrollWidth") <= PHONE_WIDTH
            b.screenshot(shots / "cloud-installer-record-phone.png")
            # The installer's start page lists the test.
            open_ready(b, f.base + "/install", "我最近的调试")
            assert ALARM in page_text(b) and "调试通过" in page_text(b)
            # English, by the switch.
            open_ready(b, f.base + "/lang/en?next=/install", "My latest tests")
            assert "Commissioning passed" in page_text(b)
            no_raw_names(page_text(b))
        finally:
            b.close()


@pytest.mark.timeout(300)
def test_an_alarm_that_never_reports_fails_the_test_in_chinese(tmp_path: Path) -> None:
    with installer_field(tmp_path, commission_timeout_s=3) as f:  # no alarm runs at all
        b = phone_browser(tmp_path)
        try:
            add_household_and_start(b, f)
            waiting_for_the_button(b)
            wait_for(
                lambda: "测试未通过：超时仍未收到测试事件、状态上报" in page_text(b),
                40, "the failure, in Chinese", retry_errors=True,
            )  # fmt: skip
            assert b.eval("document.querySelector('#start').disabled") is False  # may retry
            assert b.eval("document.querySelector('#record-link').hidden") is False
            no_raw_names(page_text(b))
            b.eval("document.querySelector('#record-link a').click()")
            wait_for(
                lambda: "调试失败" in page_text(b) and "未收到" in page_text(b),
                20, "the record of the failure", retry_errors=True,
            )  # fmt: skip
        finally:
            b.close()
