"""Every checkpoint page in headless Chromium, in Chinese and in English.

A real gateway app on 127.0.0.1 (uvicorn in a thread, real SQLite, a manual
clock), signed in through the login form, switched to English with the page's
own switch. Each page is screenshotted (under the test's tmp dir) and its
visible text checked: the state words of the chosen language, no raw state or
action names, no ``{placeholder}``, no ``key=value``, and on the English pages
no Chinese except the data people typed (plates, names, the checkpoint's name).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from coalguard.gateway.papers import record_print
from coalguard.gateway.web import create_app
from coalguard.gateway.workflow import ALLOWED, State
from coalguard.i18n import t
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.gateway.conftest import FAILING, RETEST, drive_to_judged
from tests.gateway.session import add_user, browser_sign_in, browser_switch_to_english
from tests.gateway.test_cameras import plate_event
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

RAW_NAMES = sorted(
    {s.value for s in State} | set(ALLOWED) | {"dispatch", "receive", "report", "system"}
)
# A raw name as an operator would see it leak: a snake_case name anywhere, a plain one
# as a lower-case word of its own (the English words are capitalised: "Cancelled").
RAW = re.compile(r"(?<![\w/-])(" + "|".join(map(re.escape, RAW_NAMES)) + r")(?![\w/-])")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w.]*\}")
KEY_VALUE = re.compile(r"\b[A-Za-z_]\w*=\S")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# What people typed or configured: stays as typed whatever the page language.
DATA = ["测试检查站", "冀A12345", "冀B54321", "冀C11111", "王五", "赵管理", "张三", "李四"]
DATA += ["山西大同", "石家庄", "中文", "早班", "交班", "走错道", "大同恒信煤业有限公司"]


def visible_text(b: Browser) -> str:
    return b.eval("document.body.innerText") or ""


def check_words(text: str, lang: str, page: str) -> None:
    raw = sorted(set(RAW.findall(text)))
    assert not raw, f"{page} ({lang}) shows raw names {raw}:\n{text}"
    assert not PLACEHOLDER.search(text), f"{page} ({lang}) shows a placeholder:\n{text}"
    assert not KEY_VALUE.search(text), f"{page} ({lang}) shows key=value text:\n{text}"
    if lang == "en":
        rest = text
        for d in DATA:
            rest = rest.replace(d, "")
        assert not CJK.search(rest), f"{page} (en) has Chinese: {CJK.findall(rest)[:20]}\n{text}"


@pytest.fixture
def scene(gw, clock):
    """A checkpoint with something in every section of every page."""
    wf = gw.workflow
    gw.cameras.intake(plate_event(clock, 1))  # camera arrival 冀A12345
    clock.advance(timedelta(minutes=6))
    gw.cameras.check_silent()  # an alert
    cancelled = wf.arrive("冀C11111", "王五")
    wf.cancel(cancelled, "王五", "走错道")
    lab = drive_to_judged(gw, RETEST, plate="冀B54321", sample="S2")
    wf.lab_sample(lab, "王五", {"sample_id": "S2-L", "seal_no": "F-S2L"})
    judged = drive_to_judged(gw, FAILING, sample="S1")
    record_print(gw.ledger, gw.workflow.get(judged), "label", "王五", "pdf", "zh")  # a print
    gw.duty.duty("王五", "on_duty", "早班")
    gw.duty.handover("王五", "李四", "交班")
    add_user(gw.store, "admin", "admin", "赵管理")
    return {"judged": judged, "cancelled": cancelled}


@pytest.mark.timeout(180)
def test_every_gateway_page_renders_in_chinese_and_english(gw, scene, tmp_path: Path) -> None:
    binary = require_binary("chromium")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    pages = {
        "operator": f"/?id={scene['judged']}",
        "cancelled": f"/?id={scene['cancelled']}",
        "ledger-inspection": "/ledger?book=inspection",
        "ledger-sampling": "/ledger?book=sampling",
        "ledger-duty": "/ledger?book=duty",
        "ledger-handover": "/ledger?book=handover",
        "users": "/users",
        "history": "/history?verdict=fail",
        "inspection": f"/inspections/{scene['judged']}",
    }
    expect = {
        "operator": ["judged", "turn_back"],
        "cancelled": ["cancelled"],
        "ledger-inspection": ["arrived", "cancelled"],
        "history": ["judged"],
        "inspection": ["judged", "take_sample"],
    }
    with ThreadServer(create_app(gw, lang="zh")) as server:
        b = Browser(binary, tmp_path / "chromium-profile")
        try:

            def shoot(name: str) -> None:
                path = shots / f"{name}.png"
                b.screenshot(path)
                assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 5_000

            def visit(lang: str) -> None:
                for name, path in pages.items():
                    b.goto(server.url + path)
                    assert b.eval("document.documentElement.lang") == (
                        "zh-CN" if lang == "zh" else "en"
                    )
                    assert b.eval("getComputedStyle(document.body).margin") == "0px", (
                        "the stylesheet is served and applied"
                    )
                    text = visible_text(b)
                    check_words(text, lang, name)
                    for raw in expect.get(name, []):
                        section = "action" if raw in ALLOWED else "state"
                        word = t(f"{section}.{raw}", lang)
                        assert word in text, f"{name} ({lang}) lacks {word!r}"
                    if name == "ledger-inspection":  # a print, in words
                        assert t("gw_papers.entry_printed", lang) in text
                        assert t("gw_papers.label", lang) in text
                    if name == "operator":  # the sampled truck's label can be printed
                        assert t("gw_papers.label", lang) in text
                    shoot(f"{lang}-{name}")

            # the login page, before anyone signs in: Chinese by default
            b.goto(server.url + "/")
            assert b.eval("location.pathname") == "/login"
            check_words(visible_text(b), "zh", "login")
            assert "值班员登录" in visible_text(b)
            shoot("zh-login")
            browser_sign_in(b, "admin")
            visit("zh")
            # the one script reloads the operator page (only that page asks for it)
            b.goto(server.url + pages["operator"])
            assert b.eval("document.body.dataset.refresh") == "10"
            assert b.eval("[...document.scripts].map(s => s.src)") == [
                server.url + "/static/gateway.js"
            ]
            # the page's own switch: the setting is the account's, so every page follows
            b.goto(server.url + pages["operator"])
            browser_switch_to_english(b)
            assert b.eval("location.search") == f"?id={scene['judged']}"  # back where it was
            visit("en")
            # signed out, the login page stays in the browser's last choice
            b.eval("document.querySelector('#form-logout button').click()")
            wait_for(
                lambda: (
                    b.eval("(document.querySelector('#note')||{}).textContent")
                    == t("gw_auth.signed_out", "en")
                ),
                timeout=20,
                what="signed out, in English",
                retry_errors=True,
            )
            check_words(visible_text(b), "en", "login")
            shoot("en-login")
        finally:
            b.close()
    assert len(list(shots.glob("*.png"))) == 2 * (len(pages) + 1)
