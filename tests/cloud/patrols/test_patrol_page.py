"""The grid worker's phone: sign in, record a patrol with a photo on the mobile page
(390 px wide, Chinese), see the photo's SHA-256 shown and stored, and the grid's
overdue alert cleared by it; the page in English."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from coalguard.cloud.auth import issue_token
from coalguard.cloud.patrols.frequency import shipped_frequency
from coalguard.cloud.patrols.overdue import sweep_overdue
from coalguard.cloud.patrols.records import households_of
from coalguard.cloud.patrols.tables import PatrolAlert, PatrolPhoto, PatrolRecord, RecordPhoto
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import make_app
from tests.cloud.page_support import page_text as _text
from tests.cloud.page_support import sign_in as _sign_in
from tests.cloud.patrols.patrol_support import NOW, VILLAGE, households, village_grid
from tests.cloud.patrols.test_patrol_routes import png
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

LATE = NOW.replace(day=NOW.day + 8)  # past the weekly rhythm


def _attach(b: Browser, data: bytes, name: str) -> None:
    """Choose a file in the photo input as a phone's picker would (the change event)."""
    b64 = base64.b64encode(data).decode()
    b.eval(
        "(() => {"
        f" const bytes = Uint8Array.from(atob({b64!r}), (c) => c.charCodeAt(0));"
        f" const file = new File([bytes], {name!r}, {{ type: 'image/png' }});"
        " const dt = new DataTransfer(); dt.items.add(file);"
        " const input = document.querySelector('#photo'); input.files = dt.files;"
        " input.dispatchEvent(new Event('change', { bubbles: true }));"
        "})()"
    )


@pytest.mark.timeout(240)
def test_a_grid_worker_records_a_patrol_with_a_photo_on_a_phone(tmp_path: Path) -> None:
    binary = require_binary("chromium")
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(LATE))
    village_grid(app)
    h1, h2, h3 = households(app)
    with app.state.sessions.begin() as s:  # overdue: nobody patrolled for 8 days
        assert sweep_overdue(s, LATE, shipped_frequency()) == 1
    token = issue_token(app.state.sessions, "grid-1", VILLAGE, "grid", now=NOW)
    photo = png(42)
    digest = hashlib.sha256(photo).hexdigest()
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    with ThreadServer(app) as server:
        b = Browser(binary, tmp_path / "chromium-profile")
        try:
            b.call(
                "Emulation.setDeviceMetricsOverride", width=390, height=844,
                deviceScaleFactor=2, mobile=True,
            )  # fmt: skip
            _sign_in(b, server.url, token, "/patrols/new", "网格巡查记录")
            assert b.eval("document.querySelector('[name=grid_role]').value") == "worker"
            _attach(b, photo, "现场.png")
            wait_for(lambda: digest in _text(b), 20, "the photo's hash shown")
            b.eval(
                "(() => { const f = document.querySelector('#patrol-form');"
                f" f.elements['household_ids'].value = '{h1}，{h2}, {h3}';"
                " f.elements['findings'].value = '5 号户存散煤约 200 公斤，已劝导清理';"
                " f.elements['loose_coal_found'].checked = true; f.requestSubmit(); })()"
            )
            wait_for(lambda: "巡查已记录" in _text(b), 20, "saved")
            saved = b.eval("document.querySelector('#saved').innerText")
            assert f"SHA-256 {digest}" in saved and "照片 1 张" in saved
            width = b.eval("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is wider than the phone ({width}px)"
            b.screenshot(shots / "patrol-phone.png")

            b.call("Page.navigate", url=server.url + "/lang/en?next=/patrols/new")
            wait_for(lambda: "Grid patrol record" in _text(b), 20, "English", retry_errors=True)
            assert "Recent patrols" in _text(b)
        finally:
            b.close()
    with app.state.sessions() as s:
        (record,) = s.scalars(select(PatrolRecord))
        assert households_of(s, record.id) == [h1, h2, h3] and record.loose_coal_found
        assert record.patrolled_by == "grid-1" and record.patrolled_at == LATE
        assert s.scalars(select(RecordPhoto.sha256)).all() == [digest]
        stored = s.get(PatrolPhoto, digest)
        assert stored is not None and hashlib.sha256(stored.data).hexdigest() == digest
        (alert,) = s.scalars(select(PatrolAlert))
        assert alert.status == "resolved", "the patrol cleared the overdue alert"
