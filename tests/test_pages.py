"""One Jinja2 set-up for both apps (``coalguard.pages``): each app keeps only its folder."""

from __future__ import annotations

import pytest

from coalguard.cloud import templating
from coalguard.gateway.web import render
from coalguard.pages import Pages

APPS = {"gateway": render.PAGES, "cloud": templating.PAGES}


@pytest.mark.parametrize("app", sorted(APPS))
def test_both_apps_render_through_the_one_setup(app: str) -> None:
    pages = APPS[app]
    assert isinstance(pages, Pages)
    assert pages.env.autoescape is True
    assert {"local", "pct", "cell"} <= set(pages.env.filters)


@pytest.mark.parametrize("app", sorted(APPS))
def test_shared_macros_escape_and_use_the_page_language(app: str) -> None:
    source = (
        '{% from "shared.html" import header_row, text_rows with context %}'
        "{{ header_row(['gw.plate']) }}{{ text_rows(rows) }}"
    )
    template = APPS[app].env.from_string(source)
    zh = template.render(t=lambda k: {"gw.plate": "车牌"}[k], rows=[("<b>x</b>", "1")])
    assert "<th>车牌</th>" in zh
    assert "&lt;b&gt;x&lt;/b&gt;" in zh and "<b>" not in zh
