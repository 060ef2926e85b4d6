"""The register's pages in headless Chromium at phone width: import an Excel sheet (preview,
then import), coverage per village that follows commissioning, a household masked with an
audited reveal and a re-verification, then English."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from coalguard.cloud.audit import AuditEntry
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.edge.clock import ManualClock
from tests.cloud.co.co_support import event, state
from tests.cloud.ops_support import bearer, make_app
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.dashboard_browser import no_raw_names, open_page, page_text, sign_in
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
SAMPLE = Path(__file__).parents[3] / "docs" / "households-sample.csv"
VILLAGE = "130102001001"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, object, dict[str, str]]]:
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(T0))
    tok = {
        name: issue_token(app.state.sessions, name, "130102", role, now=T0)
        for name, role in (("county-op", "operator"), ("inst-1", "installer"))
    }
    with ThreadServer(app) as server:
        yield server.url, app, tok
    app.state.engine.dispose()


def _sample_xlsx(path: Path) -> Path:
    wb = Workbook()
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        wb.active.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path


def _commission(app, base: str, token: str) -> None:  # type: ignore[no-untyped-def]
    """An installer registers and tests 王建国's alarm (API and the alarm's messages)."""
    head = bearer(token)
    body = {
        "device_id": "COA-0101",
        "household": {"name": "王建国", "address": "一组12号", "village_code": VILLAGE,
                      "phone": "13800001001"},
        "installer_id": "inst-1",
    }  # fmt: skip
    assert httpx.post(base + "/api/v1/co/devices", json=body, headers=head).status_code == 201
    r = httpx.post(
        base + "/api/v1/co/devices/COA-0101/commissioning",
        json={"installer_id": "inst-1"},
        headers=head,
    )
    assert r.status_code == 201, r.text
    store = MessageStore(app.state.sessions, AlertBook(load_rules(), ("log",)))
    store.apply([event("COA-0101", 1, "test", at=T0 + timedelta(seconds=20))])
    store.apply([state("COA-0101", 2, at=T0 + timedelta(seconds=21))])


@pytest.mark.timeout(240)
def test_the_register_in_chromium_at_phone_width(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, app, tok = served
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        b.call(
            "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
            mobile=True,
        )  # fmt: skip
        sign_in(b, base, tok["county-op"])

        # Import the office's Excel sheet: preview (nothing stored), then import.
        open_page(b, base + "/households/import", "导入农户台账")
        root = b.call("DOM.getDocument")["root"]["nodeId"]
        node = b.call("DOM.querySelector", nodeId=root, selector="#import-file")["nodeId"]
        sheet = _sample_xlsx(tmp_path / "农户台账.xlsx")
        b.call("DOM.setFileInputFiles", files=[str(sheet)], nodeId=node)
        b.eval("document.querySelector('button[data-hh-import=preview]').click()")
        summary = "document.querySelector('#import-summary').textContent"
        wait_for(lambda: "新增 6 户" in b.eval(summary), 60, "preview", retry_errors=True)
        b.eval("document.querySelector('button[data-hh-import=commit]').click()")
        wait_for(
            lambda: (
                b.eval("document.querySelector('#msg').textContent") == "已导入"
                or "新增" not in b.eval(summary)
            ),
            60,
            "imported, page reloaded",
            retry_errors=True,
        )
        assert b.eval("document.documentElement.scrollWidth") <= 390

        # Coverage per village: 0 of 2 new coal households with a commissioned alarm.
        text = open_page(b, base + f"/households?village={VILLAGE}", "各村覆盖情况")
        cover = f"document.querySelector('tr[data-village=\"{VILLAGE}\"] .alarm-cover').innerText"
        assert b.eval(cover).startswith("0/2")
        assert "王**" in text and "王建国" not in text and "新增燃煤户" in text
        assert "示例一村 的农户" in text  # villages by name (the region directory)
        no_raw_names(text)
        assert b.eval("document.documentElement.scrollWidth") <= 390
        b.screenshot(shots / "cloud-households-phone.png")

        _commission(app, base, tok["inst-1"])
        open_page(b, base + f"/households?village={VILLAGE}", "各村覆盖情况")
        assert b.eval(cover) == "1/2 · 50.0%"
        assert "已调试" in page_text(b)

        # The household page: masked; the reveal is audited; a re-verification is recorded.
        hid = b.eval("document.querySelector('tr[data-household] a').getAttribute('href')")
        text = open_page(b, base + hid, "反复核实")
        assert "130102**********18" in text and "COA-0101" in text
        assert "130102196503120018" not in text
        no_raw_names(text)
        b.eval("document.querySelector('button[data-hh-reveal]').click()")
        wait_for(lambda: "130102196503120018" in page_text(b), 60, "revealed", retry_errors=True)
        assert "已记入审计日志" in b.eval("document.querySelector('#msg').textContent")
        with app.state.sessions() as s:
            entry = s.scalars(
                select(AuditEntry).where(AuditEntry.action.startswith("reveal"))
            ).one()
            assert entry.actor == "county-op"
        b.eval(
            "const f = document.querySelector('#verify-form');"
            "f.confirmed_by.value = '乡镇王干事'; f.confirmed_on.value = '2026-11-25';"
            "f.querySelector('button').click();"
        )
        wait_for(lambda: "乡镇王干事" in page_text(b), 60, "the verification", retry_errors=True)
        assert b.eval("document.documentElement.scrollWidth") <= 390
        b.screenshot(shots / "cloud-household-phone.png")

        # English.
        b.call("Page.navigate", url=base + f"/lang/en?next=/households?village={VILLAGE}")
        wait_for(lambda: "Coverage per village" in page_text(b), 60, "English", retry_errors=True)
        text = page_text(b)
        assert "new coal household" in text and "commissioned" in text
        no_raw_names(text)
    finally:
        b.close()
    # An installer reads the register masked: no import link, no reveal button.
    page = httpx.get(base + "/households", headers=bearer(tok["inst-1"])).text
    assert "/households/import" not in page
    one = httpx.get(base + hid, headers=bearer(tok["inst-1"])).text
    assert "130102**********18" in one and "data-hh-reveal" not in one
    assert httpx.get(base + "/households/import", headers=bearer(tok["inst-1"])).status_code == 403
