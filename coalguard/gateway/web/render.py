"""The checkpoint's templates (``templates/``) on the shared set-up of ``coalguard.pages``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse

from coalguard.gateway.web.views import Chrome
from coalguard.i18n import LANGS
from coalguard.pages import Pages

if TYPE_CHECKING:
    from coalguard.gateway.service import Gateway
    from coalguard.gateway.web.auth import Principal

STATIC_DIR = Path(__file__).with_name("static")
PAGES = Pages(Path(__file__).with_name("templates"))


def render(
    template: str, lang: str, chrome: Chrome, view: Any = None, status: int = 200
) -> HTMLResponse:
    """``template`` with ``view`` in ``lang``; every word comes through ``t``."""
    html = PAGES.render(template, lang, chrome=chrome, view=view)
    return HTMLResponse(html, status_code=status)


def chrome(
    gw: Gateway, here: str, who: Principal | None = None, error: str = "", refresh: int = 0
) -> Chrome:
    """The base layout's part of a page for ``who`` (None: not signed in)."""
    return Chrome(
        checkpoint=gw.config.checkpoint.name,
        here=here,
        langs=LANGS,
        csrf=(who.csrf or "") if who else "",
        operator=who.operator if who else "",
        error=error,
        refresh=refresh,
    )
