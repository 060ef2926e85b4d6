"""Jinja2 for the cloud's pages and reports: autoescaped templates, catalog words, local times.

Python builds view models (plain values); ``templates/`` holds every tag. A
template reads words with ``t("dash.overview")`` in the page's language and
shows times with the ``local`` filter (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from coalguard.edge.clock import local_text
from coalguard.i18n import DEFAULT_LANG, LANGS, known, t

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
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


def _local(dt: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local_text(dt, fmt)


def percent(v: float | None) -> str:
    """A rate as people read it (12.5%), or a dash when there is none."""
    return "—" if v is None else f"{v:.1%}"


def cell(v: Any) -> str:
    """A table figure: a dash for none, floats without trailing zeros."""
    if v is None:
        return "—"
    return f"{v:g}" if isinstance(v, float) else str(v)


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
ENV.filters["local"] = _local
ENV.filters["pct"] = percent
ENV.filters["cell"] = cell


def pick_lang(value: str | None) -> str:
    """A known language code, or Chinese."""
    return value if value in LANGS else DEFAULT_LANG


def render(name: str, lang: str, **view: Any) -> str:
    """``templates/<name>`` with the view model, the words of ``lang`` and its HTML code."""
    lang = pick_lang(lang)
    return ENV.get_template(name).render(
        lang=lang, html_lang=HTML_LANG[lang], t=Words(lang), **view
    )
