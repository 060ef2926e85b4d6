"""The installer's phone page in headless Chromium at a phone's width, against the real
CO path (Mosquitto, ``co-ingest``, a simulated alarm): the household found or added,
the alarm id typed, the test started, the alarm's button pressed, the pass with its
times and the printable record; a test whose alarm never reports fails, said in Chinese."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.households import importer
from coalguard.cloud.households.tables import Household
from coalguard.edge.clock import SystemClock
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


SAMPLE = Path(__file__).parents[3] / "docs" / "households-sample.csv"
COVER = f"document.querySelector('#coverage tr[data-village=\"{VILLAGE}\"] .alarm-cover').innerText"


def import_register_from_excel(f: InstallerField) -> None:
    """The office's sheet of the village, saved from Excel, through the register's import."""
    wb = Workbook()
    ws = wb.active
    for n, line in enumerate(SAMPLE.read_text(encoding="utf-8").splitlines()):
        if n == 0 or line.startswith(VILLAGE):
            ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    rows = importer.read_table(buf.getvalue(), "xlsx")
    with f.app.state.sessions.begin() as s:
        done = importer.import_rows(
            s, f.app.state.keyring, rows, "county-office", SystemClock().now(), commit=True
        )
    assert done.errors == [] and done.added >= 3


@pytest.mark.timeout(300)
def test_installer_commissions_an_alarm_on_a_phone_and_the_village_coverage_changes(
    tmp_path: Path,
) -> None:
    with installer_field(tmp_path) as f:
        import_register_from_excel(f)
        commission_on_a_phone(f, tmp_path)
    with f.app.state.sessions() as s:
        h = s.scalars(select(Household).where(Household.head_name_masked == "王**")).one()
        assert s.get(CoDevice, ALARM).household_id == h.id


def commission_on_a_phone(f: InstallerField, tmp_path: Path) -> None:
    """The installer finds 王建国 of the village, tests his alarm, sees the coverage move."""
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    with one_alarm(f) as fleet:
        b = phone_browser(tmp_path)
        try:
            sign_in(b, f.base, f.installer_token)
            open_ready(b, f.base + "/households", "新增燃煤户")
            before = b.eval(COVER)
            assert before.startswith("0/"), before

            # Find 王建国 of the village: the register shows him masked.
            open_ready(b, f.base + "/install", "查找住户")
            fill_and_submit(b, "find", {"village": VILLAGE, "name": "王建国"})
            wait_for(
                lambda: "找到 1 户" in page_text(b), 20, "the household found", retry_errors=True
            )
            text = page_text(b)
            assert "王**" in text and "王建国" not in text and "新增燃煤户" in text
            b.screenshot(shots / "cloud-installer-find-phone.png")
            b.eval("document.querySelector('#found li a').click()")
            wait_for(
                lambda: b.eval("location.pathname").startswith("/install/households/")
                and b.eval("document.readyState") == "complete",
                20, "the household's page", retry_errors=True,
            )  # fmt: skip
            assert "138****1001" in page_text(b) and "13800001001" not in page_text(b)
            assert "130102196503120018" not in page_text(b)

            fill_and_submit(b, "commission-form", {"device_id": ALARM})
            waiting_for_the_button(b)
            press_test_button(fleet)
            wait_for(
                lambda: b.eval("location.pathname").startswith("/install/records/")
                and "调试通过" in page_text(b),
                60, "the record of the pass", retry_errors=True,
            )  # fmt: skip
            assert "王**" in page_text(b) and TIME.search(page_text(b))
            assert b.eval("document.documentElement.scrollWidth") <= PHONE_WIDTH

            # The alarm is the register's household's: the village's coverage counts it.
            open_ready(b, f.base + "/households", "新增燃煤户")
            after = b.eval(COVER)
            assert after.startswith("1/") and after.split(" ")[0][2:] == before.split(" ")[0][2:]
            b.screenshot(shots / "cloud-installer-coverage-phone.png")
        finally:
            b.close()
