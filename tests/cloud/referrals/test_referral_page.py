"""The referral case list in Chromium, in Chinese and English; the office acknowledges a case."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from coalguard.cloud.auth import issue_token
from coalguard.cloud.referrals.tables import ReferralCase
from coalguard.edge.clock import ManualClock, local_text
from tests.cloud.checks.checkpoint_feed import gateway_token, records, send
from tests.cloud.ops_support import bearer, client, make_app
from tests.cloud.referrals.referral_feed import PLATE, REGION, failing_lab_case
from tests.cloud.test_dashboard import CHINESE_CHROME
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for


@pytest.fixture
def served(tmp_path: Path, cloud_db: str) -> Iterator[tuple[str, object, str]]:
    """A cloud with one referral case, served over HTTP; the office's token."""
    gw, gw_clock, _, _ = failing_lab_case(tmp_path)
    app = make_app(cloud_db)
    app.state.clock = ManualClock(gw_clock.now())
    c = client(app)
    admin = bearer(
        issue_token(app.state.sessions, "nation-admin", "", "admin", now=app.state.clock.now())
    )
    cp = {"name": "涿州检查站", "region_code": REGION, "jurisdiction": "hebei-2022"}
    assert c.put("/api/v1/checkpoints/cp-zz", json=cp, headers=admin).status_code == 200
    office = {"name": "石家庄市大气办", "contact": "0311-0000000"}
    assert c.put("/api/v1/regions/1301/office", json=office, headers=admin).status_code == 200
    send(c, "gw-zz", gateway_token(app, "gw-zz"), records(gw))
    gw.store.close()
    app.state.projector.run_until_idle()
    token = issue_token(
        app.state.sessions, "sjz-office", "1301", "office", now=app.state.clock.now()
    )
    with ThreadServer(app) as server:
        yield server.url, app, token


@pytest.mark.timeout(180)
def test_referral_list_in_chromium_in_chinese_and_english(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, app, token = served
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    with app.state.sessions() as s:
        (case,) = s.query(ReferralCase).all()
    opened = local_text(case.opened_at, "%Y-%m-%d %H:%M")
    b = Browser(binary, tmp_path / "chromium-profile")

    def text() -> str:
        return b.eval("document.body.innerText")

    def shown(lang: str, *words: str) -> None:
        wait_for(
            lambda: (
                b.eval("document.readyState") == "complete"
                and b.eval("document.documentElement.lang").startswith(lang)
                and all(w in text() for w in words)
            ),
            timeout=20,
            what=f"/referrals in {lang} showing {words}",
            retry_errors=True,
        )

    try:
        b.goto(base + "/login")
        b.eval(
            f"document.querySelector('#token').value = {token!r};"
            "document.querySelector('#login button').click();"
        )
        wait_for(lambda: b.eval("location.pathname") == "/", 20, "signed in", retry_errors=True)
        b.goto(base + "/referrals")
        shown("zh", "大气办移送案件", PLATE, "待大气办确认", "石家庄市大气办", opened)
        assert "不合格" in text() and "R-2026-009" in text() and "v2017" in text()
        b.screenshot(shots / "cloud-referrals-zh.png")

        # The office acknowledges from the page: the row says so, the case stops reminding.
        b.eval(f"document.querySelector('button[data-referral=\"{case.id}\"]').click()")
        wait_for(
            lambda: (
                b.eval(f"document.querySelector('tr[data-referral=\"{case.id}\"]').dataset.status")
                == "acknowledged"
            ),
            timeout=20,
            what="case acknowledged on the page",
            retry_errors=True,
        )
        assert "大气办已确认" in text()
        with app.state.sessions() as s:
            done = s.get(ReferralCase, case.id)
            assert (done.status, done.acknowledged_by) == ("acknowledged", "sjz-office")

        # English, through the page's switch: the acknowledgement with who and when.
        b.eval("document.querySelector('#lang-switch').click()")
        shown("en", "Referrals to the air-pollution office", PLATE, "acknowledged by sjz-office")
        page = text()
        assert "Lab verdict" in page and "fail" in page and opened in page
        assert [w for w in CHINESE_CHROME if w in page] == []
        assert "待大气办确认" not in page and "大气办移送案件" not in page
        assert b.eval("document.querySelectorAll('button[data-referral]').length") == 0
        b.screenshot(shots / "cloud-referrals-en.png")
    finally:
        b.close()
