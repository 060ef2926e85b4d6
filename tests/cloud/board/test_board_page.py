"""The live alarm board in headless Chromium against a real cloud server: a CO alarm written
by the ingest's store appears without reloading the page, rings, notifies, and is
acknowledged with one click; in Chinese and in English."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coalguard.cloud.co.tables import CoAlert
from tests.cloud.board.board_support import alarm_start, alarm_store, power_cut
from tests.cloud.board.test_board_stream import World
from tests.cloud.ops_support import make_app, users
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

# What the card says in each language (catalog words), and the page's own words.
WORDS = {
    "zh": [
        "实时报警 · 130102",
        "实时更新中",
        "一氧化碳报警",
        "未处理",
        "王*",
        "138****5678",
        "联系人",
        "通知了谁",
        "住户",
        "短信",
        "时间均为北京时间",
    ],
    "en": [
        "Live alarms · 130102",
        "Live",
        "CO alarm",
        "Open",
        "王*",
        "138****5678",
        "Contacts",
        "Who was notified",
        "Household",
        "SMS",
        "Beijing time",
    ],
}
ACKED = {"zh": "county-130102 于", "en": "acknowledged by county-130102"}
# Spies on what the page asks of the browser: notifications shown, tones played.
SPIES = """
window.cgShown = [];
window.cgTones = 0;
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) { super(title, options); window.cgShown.push(title); }
};
const realOsc = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.cgTones++;
  return realOsc.call(this);
};
"""


@pytest.fixture
def served(tmp_path: Path, cloud_db: str) -> Iterator[World]:
    app = make_app(cloud_db, checks_interval_s=0)  # the shipped poll interval (0.25 s)
    tok = users(app)
    store = alarm_store(app)
    with ThreadServer(app) as srv:
        yield World(srv.url, app, store, tok)


def _login(b: Browser, base: str, token: str) -> None:
    b.goto(base + "/login")
    b.eval(
        f"document.querySelector('#token').value = {token!r};"
        "document.querySelector('#login button').click();"
    )
    wait_for(
        lambda: b.eval("location.pathname") == "/" and b.eval("document.readyState") == "complete",
        timeout=20,
        what="overview after login",
        retry_errors=True,
    )


def _open_board(b: Browser, base: str, lang: str) -> None:
    b.goto(base + "/board")
    wait_for(
        lambda: (
            b.eval("document.documentElement.lang").startswith(lang)
            and b.eval("document.querySelector('#board-live').dataset.state") == "live"
        ),
        timeout=20,
        what=f"the board connected ({lang})",
        retry_errors=True,
    )


def _alarm_round(b: Browser, served: World, lang: str, dev: str, shots: Path) -> None:
    """On the open board: an alarm arrives, rings, notifies, and one click acknowledges it."""
    b.eval(SPIES)
    b.eval("document.querySelector('#board-sound').click()")  # sound on (a click)
    b.eval("document.querySelector('#board-notify').click()")  # ask for notifications
    wait_for(lambda: b.eval("Notification.permission") == "granted", what="permission")
    b.eval("window.cgSamePage = 'not reloaded'")
    alarm_start(served.store, dev)
    committed = time.monotonic()
    with served.app.state.sessions() as s:
        alert_id = f"co-{s.query(CoAlert).filter_by(device_id=dev).one().id}"
    card = f"document.querySelector('[data-alarm=\"{alert_id}\"]')"
    wait_for(lambda: b.eval(f"!!{card}"), timeout=10, what=f"{alert_id} on the board")
    shown_after = time.monotonic() - committed
    assert b.eval("window.cgSamePage") == "not reloaded"
    assert shown_after < 2.0, f"the alarm took {shown_after:.2f} s to appear"
    # Newest first, with its CO history, in the words of the page's language.
    assert b.eval("document.querySelector('#board [data-alarm]').dataset.alarm") == alert_id
    assert b.eval(f"{card}.querySelectorAll('svg polyline').length") == 1
    text = b.eval("document.body.innerText")
    for word in WORDS[lang]:
        assert word in text, f"{lang}: {word!r} missing"
    assert "王家" not in text  # the operator may not see personal data
    wait_for(lambda: b.eval("window.cgShown.length") == 1, what="a browser notification")
    assert b.eval("window.cgTones") == 3
    b.screenshot(shots / f"cloud-board-{lang}.png")

    b.eval(f"{card}.querySelector('button[data-ack]').click()")  # one click
    wait_for(
        lambda: b.eval(f"{card}.dataset.status") == "acknowledged",
        timeout=10,
        what="the card acknowledged",
    )
    with served.app.state.sessions() as s:
        a = s.get(CoAlert, int(alert_id.removeprefix("co-")))
        assert (a.status, a.acknowledged_by) == ("acknowledged", "county-130102")
    # The stream brings the acknowledged card: who and when.
    wait_for(
        lambda: ACKED[lang] in b.eval(f"{card}.innerText"),
        timeout=10,
        what="who acknowledged, on the card",
    )
    assert b.eval("window.cgSamePage") == "not reloaded"


@pytest.mark.timeout(180)
def test_new_co_alarm_appears_on_the_board_without_reload(served: World, tmp_path: Path) -> None:
    binary = require_binary("chromium")
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        b.call("Browser.grantPermissions", origin=served.base, permissions=["notifications"])
        _login(b, served.base, served.tok["county"])
        _open_board(b, served.base, "zh")
        _alarm_round(b, served, "zh", "co-hb-1", shots)
        b.eval("document.querySelector('#lang-switch').click()")  # the user's own setting
        wait_for(
            lambda: b.eval("document.documentElement.lang") == "en",
            timeout=20,
            what="the page in English",
            retry_errors=True,
        )
        _open_board(b, served.base, "en")
        _alarm_round(b, served, "en", "co-hb-2", shots)
        # On a phone: the cards take the width, nothing scrolls sideways.
        b.call(
            "Emulation.setDeviceMetricsOverride",
            width=390,
            height=844,
            deviceScaleFactor=2,
            mobile=True,
        )
        _open_board(b, served.base, "en")
        assert b.eval("document.querySelectorAll('#board [data-alarm]').length") == 2
        assert b.eval("document.documentElement.scrollWidth <= window.innerWidth")
        b.screenshot(shots / "cloud-board-phone.png")
    finally:
        b.close()


@pytest.mark.timeout(120)
def test_area_outage_banner_appears_on_an_open_board_without_reload(
    served: World, tmp_path: Path
) -> None:
    b = Browser(require_binary("chromium"), tmp_path / "chromium-profile")
    try:
        _login(b, served.base, served.tok["county"])
        _open_board(b, served.base, "zh")
        b.eval("window.cgSamePage = 'not reloaded'")
        ref = power_cut(served.store)
        banner = f"document.querySelector('#board-outages [data-alert=\"{ref}\"]')"
        wait_for(lambda: b.eval(f"!!{banner}"), timeout=10, what=f"{ref}'s banner")
        assert "30 台报警器" in b.eval(f"{banner}.innerText")
        assert b.eval("window.cgSamePage") == "not reloaded"
    finally:
        b.close()
