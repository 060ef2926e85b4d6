"""Driving the dashboard in headless Chromium (``tests/gateway/cdp.py``): the page's text,
whether its deferred scripts ran, and signing in with a token."""

from __future__ import annotations

from tests.gateway.cdp import Browser
from tests.support.waiting import wait_for


def page_text(b: Browser) -> str:
    return b.eval("document.body.innerText")


def page_ready(b: Browser) -> bool:
    """The page and its deferred scripts ran (the forms' handlers are attached)."""
    return b.eval("document.readyState") == "complete"


def sign_in(b: Browser, base: str, token: str, path: str, word: str) -> None:
    """Sign in with ``token`` and open ``path`` once it shows ``word`` with its scripts run."""
    b.goto(base + "/login")
    b.eval(
        f"document.querySelector('#token').value = {token!r};"
        "document.querySelector('#login button').click();"
    )
    wait_for(lambda: b.eval("location.pathname") == "/", 60, "signed in", retry_errors=True)
    b.call("Page.navigate", url=base + path)
    wait_for(lambda: page_ready(b) and word in page_text(b), 60, path, retry_errors=True)
