"""The cloud's pages and reports: its template folder on the shared set-up of ``coalguard.pages``.

A template reads words with ``t("dash.overview")`` in the page's language and
shows times with the ``local`` filter (Asia/Shanghai).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coalguard.pages import Pages, percent, pick_lang

__all__ = ["STATIC", "TEMPLATES", "percent", "pick_lang", "render"]

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
PAGES = Pages(TEMPLATES)


def render(name: str, lang: str, **view: Any) -> str:
    """``templates/<name>`` with the view model, the words of ``lang`` and its HTML code."""
    return PAGES.render(name, lang, **view)
