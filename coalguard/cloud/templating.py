"""The cloud's pages and reports: its template folder on the shared set-up of ``coalguard.pages``.

A template reads words with ``t("dash.overview")`` in the page's language and
shows times with the ``local`` filter (Asia/Shanghai). A region code reads as its
name with ``{{ code | region }}`` (the code in a tooltip; the code itself when the
directory does not know it), ``{{ code | region_path }}`` for the names from the
province down, and ``region_name(code)`` / ``region_name(code, "en")`` as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from coalguard.cloud.regions import find, region_name, region_path
from coalguard.pages import Pages, percent, pick_lang

__all__ = ["STATIC", "TEMPLATES", "percent", "pick_lang", "render"]

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
PAGES = Pages(TEMPLATES)


@pass_context
def region_label(ctx: Context, code: str | None) -> Markup:
    """A region's name with its code as the tooltip; the bare code when unknown."""
    if not code:
        return Markup("")
    name = region_name(code, ctx.get("lang", "zh")) if find(code) else ""
    return Markup(_LABEL.render(code=code, name=name).strip())


@pass_context
def region_path_of(ctx: Context, code: str | None) -> str:
    """Names from the province down (``河北省 石家庄市 长安区``); the code when unknown."""
    return region_path(code, ctx.get("lang", "zh"))


@pass_context
def region_text(ctx: Context, code: str | None, lang: str | None = None) -> str:
    """The plain name (exports, titles): the code when unknown."""
    return region_name(code, lang or ctx.get("lang", "zh"))


_LABEL = PAGES.env.get_template("regions/_label.html")
PAGES.env.filters.update(region=region_label, region_path=region_path_of, region_name=region_text)
PAGES.env.globals.update(region_name=region_text)


def render(name: str, lang: str, **view: Any) -> str:
    """``templates/<name>`` with the view model, the words of ``lang`` and its HTML code."""
    return PAGES.render(name, lang, **view)
