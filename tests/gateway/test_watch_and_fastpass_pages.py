"""In headless Chromium, Chinese and English: a watched plate is highlighted when it
arrives (with why), and a refused fast pass says each mismatch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coalguard.edge.watchlist import WatchedPlate, WatchList
from coalguard.gateway.web import create_app
from coalguard.i18n import t
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.gateway.conftest import FAILING, drive_to_judged, registration
from tests.gateway.session import add_user, browser_sign_in, browser_switch_to_english
from tests.gateway.test_cameras import plate_event
from tests.gateway.test_fastpass_checks import anthracite_list
from tests.gateway.test_pages_in_chromium import visible_text
from tests.support.servers import ThreadServer


@pytest.fixture
def scene(gw, clock):
    wf = gw.workflow
    # 冀A12345 was turned back three hours ago; the cloud lists 冀A12345 too.
    turned = drive_to_judged(gw, FAILING, sample="S1")
    wf.turn_back(turned, "王五")
    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 on 11-20 in Asia/Shanghai
    gw.watch.replace(
        WatchList(
            version="v1",
            days=30,
            plates=[WatchedPlate(plate="冀A12345", source="listed", reason="多次闯卡", at=at)],
        ),
        "cloud",
    )
    clock.advance(timedelta(hours=3))
    back = gw.cameras.intake(plate_event(clock, 1)).inspection_id  # it arrives again
    # A lignite declaration on an anthracite report.
    gw.fast_pass.replace(anthracite_list(), "test")
    refused = wf.arrive("冀E00001", "王五")
    wf.register(refused, "王五", registration("冀E00001", coal_type="lignite"))
    wf.check_fast_pass(refused, "王五")
    add_user(gw.store, "admin", "admin", "赵管理")
    return {"back": back, "refused": refused}


def _text(b: Browser, selector: str) -> str:
    return b.eval(f"(document.querySelector({json.dumps(selector)})||{{}}).innerText") or ""


@pytest.mark.timeout(180)
def test_watched_arrival_and_fast_pass_reasons_in_chinese_and_english(
    gw, scene, tmp_path: Path
) -> None:
    binary = require_binary("chromium")
    with ThreadServer(create_app(gw, lang="zh")) as server:
        b = Browser(binary, tmp_path / "chromium-profile")
        try:
            b.goto(server.url + "/")
            browser_sign_in(b, "admin")

            def check(lang: str) -> None:
                # The truck at the gate is the one that just came back: highlighted, with why.
                b.goto(server.url + "/")
                assert b.eval("document.querySelector('#truck').dataset.id") == scene["back"]
                watch = _text(b, "#watch")
                assert t("watch.title", lang) in watch
                recent = t("watch.recent_turn_back", lang).format(hours=24, at="11-23 08:30")
                listed = t("watch.listed", lang).format(reason="多次闯卡", at="11-20 10:00")
                assert recent in watch and listed in watch, watch
                assert (
                    b.eval("getComputedStyle(document.querySelector('#watch')).borderTopColor")
                    == "rgb(198, 40, 40)"
                ), "the highlight is styled"
                # The refused fast pass names the mismatch, coal types in words.
                b.goto(server.url + f"/?id={scene['refused']}")
                assert _text(b, "#watch") == ""
                fastpass = _text(b, "#fastpass")
                assert t("fastpass_check.refused", lang) in fastpass
                why = t("fastpass_check.coal_type", lang).format(
                    declared=t("coal_type.lignite", lang), report=t("coal_type.anthracite", lang)
                )
                assert why in fastpass, fastpass
                assert visible_text(b).count(why) == 2, "on the truck and in its steps"

            check("zh")
            b.goto(server.url + "/")
            browser_switch_to_english(b)
            check("en")
            b.screenshot(tmp_path / "watch-en.png")
        finally:
            b.close()
