"""The cloud dashboard in headless Chromium (``tests/gateway/cdp.py``): sign in, open a
page and wait for a word, read its text, and check it shows no raw names."""

from __future__ import annotations

import re

from tests.gateway.cdp import Browser
from tests.support.waiting import wait_for


def page_text(b: Browser) -> str:
    return b.eval("document.body.innerText")


def open_page(b: Browser, url: str, word: str) -> str:
    """Go to ``url``; its text once ``word`` shows."""
    b.call("Page.navigate", url=url)
    wait_for(
        lambda: b.eval("location.href") == url and word in page_text(b),
        timeout=20, what=f"{url} showing {word!r}", retry_errors=True,
    )  # fmt: skip
    return page_text(b)


def no_raw_names(text: str) -> None:
    """No key (``loose_coal_point``) and no unfilled ``{placeholder}`` reaches a person."""
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), "a raw name is shown"
    assert not re.search(r"\{[a-z_]+\}", text), "a {placeholder} is shown"


def sign_in(b: Browser, base: str, token: str) -> None:
    """The login page with ``token``; back on the overview."""
    b.goto(base + "/login")
    b.eval(
        f"document.querySelector('#token').value = {token!r};"
        "document.querySelector('#login button').click();"
    )
    wait_for(lambda: b.eval("location.pathname") == "/", 60, "overview", retry_errors=True)
