"""The checkpoint's Jinja2 templates (autoescaped) and the one way a page is rendered."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from coalguard.gateway.web.views import Chrome
from coalguard.i18n import LANGS, t

if TYPE_CHECKING:
    from coalguard.gateway.service import Gateway
    from coalguard.gateway.web.auth import Principal

STATIC_DIR = Path(__file__).with_name("static")

TEMPLATES = Environment(
    loader=PackageLoader("coalguard.gateway.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt view field is an error, not a blank
)


def render(
    template: str, lang: str, chrome: Chrome, view: Any = None, status: int = 200
) -> HTMLResponse:
    """``template`` with ``view`` in ``lang``; every word comes through ``t``."""
    html = TEMPLATES.get_template(template).render(
        t=partial(t, lang=lang), lang=lang, chrome=chrome, view=view
    )
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
