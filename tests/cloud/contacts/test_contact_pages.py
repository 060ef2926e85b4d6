"""The directory and rota pages in headless Chromium: reveal (audited), import, add, rota;
Chinese and English; a phone-sized screen without sideways scrolling."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from coalguard.cloud.audit import AuditEntry
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import bearer, make_app
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.dashboard_browser import no_raw_names, open_page, page_text, sign_in
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing: the sample's day shift
SAMPLE = Path(__file__).parents[3] / "docs" / "contacts-sample.csv"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, object, dict[str, str]]]:
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    with app.state.sessions.begin() as s:
        for dev in ("COA-0001", "COA-0002"):
            home = Household(
                name="王家", address="1组", village_code="130102001001", phone="13800000000"
            )
            reg = Registration(device_id=dev, household=home, installer_id="inst")
            register(s, reg, app.state.keyring, NOW)
    tok = {
        name: issue_token(app.state.sessions, name, "130102", role, now=NOW)
        for name, role in (("county-op", "operator"), ("inst-1", "installer"))
    }
    with ThreadServer(app) as server:
        yield server.url, app, tok


@pytest.mark.timeout(240)
def test_the_directory_and_rota_in_chromium(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, app, tok = served
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        sign_in(b, base, tok["county-op"])

        # The household registered with its alarm is listed, masked; the reveal is audited.
        text = open_page(b, base + "/contacts", "联系人名录")
        assert "王*" in text and "138****0000" in text and "13800000000" not in text
        no_raw_names(text)
        first = b.eval("document.querySelector('button[data-reveal]').dataset.reveal")
        b.eval(f"document.querySelector('button[data-reveal=\"{first}\"]').click()")
        wait_for(
            lambda: "13800000000" in page_text(b), 20, "the revealed number", retry_errors=True
        )
        assert "已记入审计日志" in b.eval("document.querySelector('#msg').textContent")
        with app.state.sessions() as s:
            entry = s.scalars(
                select(AuditEntry).where(AuditEntry.action.startswith("reveal"))
            ).one()
            assert (entry.actor, entry.detail["contact_id"]) == ("county-op", int(first))

        # Import the sample sheet: preview, then import.
        root = b.call("DOM.getDocument")["root"]["nodeId"]
        node = b.call("DOM.querySelector", nodeId=root, selector="#import-file")["nodeId"]
        b.call("DOM.setFileInputFiles", files=[str(SAMPLE)], nodeId=node)
        b.eval("document.querySelector('button[data-import=preview]').click()")
        summary = "document.querySelector('#import-summary').textContent"
        wait_for(
            lambda: "共 9 行：新增联系人 8 个" in b.eval(summary), 20, "preview", retry_errors=True
        )
        assert "赵**" not in page_text(b)  # a preview stores nothing
        b.eval("document.querySelector('button[data-import=commit]').click()")
        wait_for(
            lambda: "赵**" in page_text(b), 20, "imported rows after reload", retry_errors=True
        )
        b.screenshot(shots / "cloud-contacts.png")

        # Add a grid worker through the form.
        b.eval(
            "const f = document.querySelector('#contact-form');"
            "f.role.value = 'grid_worker'; f.region_code.value = '130102001001';"
            "f.name.value = '冯网格'; f.phone.value = '137 1111 2222';"
            "f.querySelector('button').click();"
        )
        wait_for(lambda: "137****2222" in page_text(b), 20, "the added contact", retry_errors=True)

        # The rota: the sample's day shift is on now; add one for tomorrow morning.
        text = open_page(b, base + "/rota", "乡镇值班表")
        on_now = b.eval("document.querySelector('#on-duty').innerText")
        assert "钱**" in on_now and "吴**" not in on_now
        no_raw_names(text)
        b.eval(
            "const f = document.querySelector('#shift-form');"
            "f.contact_id.selectedIndex = 1;"
            "f.starts_at.value = '2026-12-03T08:00'; f.ends_at.value = '2026-12-03T20:00';"
            "f.querySelector('button').click();"
        )
        wait_for(
            lambda: "2026-12-03 08:00" in page_text(b), 20, "the added shift", retry_errors=True
        )

        # English.
        b.call("Page.navigate", url=base + "/lang/en?next=/contacts")
        wait_for(lambda: "Contact directory" in page_text(b), 20, "English page", retry_errors=True)
        text = page_text(b)
        assert "Grid worker".lower() in text.lower() and "Show number" in text
        no_raw_names(text)
        text = open_page(b, base + "/rota", "Township on-call rota")
        assert "On duty now" in text and "2026-12-03 08:00" in text
        no_raw_names(text)

        # A phone-sized screen: nothing scrolls sideways but the tables in their box.
        b.call(
            "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
            mobile=True,
        )  # fmt: skip
        open_page(b, base + "/contacts", "Contact directory")
        assert b.eval("document.documentElement.scrollWidth") <= 390
        b.screenshot(shots / "cloud-contacts-phone.png")
    finally:
        b.close()
    # An installer sees the directory masked, with no reveal button and no forms.
    page = httpx.get(base + "/contacts", headers=bearer(tok["inst-1"])).text
    assert "138****0000" in page and "data-reveal" not in page and "import-form" not in page
