"""The one Jinja2 set-up of the gateway's and the cloud's pages.

Python builds view models (plain values); templates hold every tag. Each app
keeps only its template folder and its own globals: ``Pages(folder)``. Every
template gets the same environment (autoescape, a misspelt field is an error),
the words of the page's language as ``t("key")``, its HTML language code, the
``local`` filter (Asia/Shanghai) and the shared macros of ``templates/shared.html``
(``{% from "shared.html" import ... %}``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from coalguard.edge.clock import local_text
from coalguard.i18n import DEFAULT_LANG, LANGS, known, t

SHARED_TEMPLATES = Path(__file__).with_name("templates")
HTML_LANG = {"zh": "zh-CN", "en": "en"}


class Words:
    """``t`` for one language, with ``str.format`` fields and a fallback key."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, /, fallback: str | None = None, **fields: Any) -> str:
        if fallback is not None and not known(key):
            key = fallback
        text = t(key, self.lang)
        return text.format(**fields) if fields else text


def local(dt: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as people read it here (Asia/Shanghai)."""
    return local_text(dt, fmt)


def percent(v: float | None) -> str:
    """A rate as people read it (12.5%), or a dash when there is none."""
    return "—" if v is None else f"{v:.1%}"


def cell(v: Any) -> str:
    """A table figure: a dash for none, floats without trailing zeros."""
    if v is None:
        return "—"
    return f"{v:g}" if isinstance(v, float) else str(v)


def pick_lang(value: str | None) -> str:
    """A known language code, or Chinese."""
    return value if value in LANGS else DEFAULT_LANG


class Pages:
    """One app's templates (``folder``, then the shared ones) in the one environment."""

    def __init__(self, folder: Path, **app_globals: Any) -> None:
        self.folder = folder
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(folder), FileSystemLoader(SHARED_TEMPLATES)]),
            autoescape=True,
            undefined=StrictUndefined,  # a misspelt view field is an error, not a blank
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(local=local, pct=percent, cell=cell)
        self.env.globals.update(app_globals)

    def render(self, name: str, lang: str, **view: Any) -> str:
        """``name`` with the view model, the words of ``lang`` and its HTML code."""
        lang = pick_lang(lang)
        return self.env.get_template(name).render(
            lang=lang, html_lang=HTML_LANG[lang], t=Words(lang), **view
        )
