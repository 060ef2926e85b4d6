"""The checkpoint builds no HTML in Python: pages come from ``gateway/web/templates``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import coalguard.gateway

GATEWAY = Path(coalguard.gateway.__file__).parent
TAGS = (
    "!doctype|html|head|body|meta|title|link|style|script|header|main|section|div|span|p|a|b|"
    "br|small|h[1-6]|ul|ol|li|table|tr|td|th|form|input|select|option|label|button|textarea"
)
TAG = re.compile(rf"</?({TAGS})[\s>/]", re.IGNORECASE)


def html_in_strings(source: str, name: str) -> list[str]:
    """``name:line: text`` for every string literal (f-string parts too) with an HTML tag."""
    hits = []
    for node in ast.walk(ast.parse(source, name)):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and TAG.search(node.value)
        ):
            hits.append(f"{name}:{node.lineno}: {node.value[:60]!r}")
    return hits


def test_the_scan_finds_tags_in_f_strings_and_plain_strings() -> None:
    source = 'x = 1\ny = f"<td class=a>{x}</td>"\nz = "<!doctype html>"\nw = "a < b > c"\n'
    assert sorted(h.split(": ")[0] for h in html_in_strings(source, "s.py")) == [
        "s.py:2",
        "s.py:2",
        "s.py:3",
    ]


def test_no_python_file_under_gateway_contains_html_tags() -> None:
    hits = [
        hit
        for path in sorted(GATEWAY.rglob("*.py"))
        for hit in html_in_strings(path.read_text(encoding="utf-8"), str(path.relative_to(GATEWAY)))
    ]
    assert not hits, "HTML built in Python (move it to a template):\n" + "\n".join(hits)
