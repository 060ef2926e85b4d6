"""No Python file of coalguard builds HTML or SVG: pages, reports and charts come from templates
(``gateway/web/templates``, ``cloud/templates``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import coalguard

PACKAGE = Path(coalguard.__file__).parent
TAGS = (
    "!doctype|html|head|body|meta|title|link|style|script|header|main|section|div|span|p|a|b|"
    "br|small|h[1-6]|ul|ol|li|table|thead|tbody|tr|td|th|form|input|select|option|label|button|"
    "textarea|svg|line|polyline|rect|text|path|g"
)
TAG = re.compile(rf"</?({TAGS})[\s>/]", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    """Ids of docstring constants: prose may name a tag (``"<path>: <detail>"``)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def html_in_strings(source: str, name: str) -> list[str]:
    """``name:line: text`` for every string literal (f-string parts too) with an HTML tag."""
    hits = []
    tree = ast.parse(source, name)
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
            and TAG.search(node.value)
        ):
            hits.append(f"{name}:{node.lineno}: {node.value[:60]!r}")
    return hits


def test_the_scan_finds_tags_in_f_strings_and_plain_strings() -> None:
    source = (
        'x = 1\ny = f"<td class=a>{x}</td>"\nz = "<!doctype html>"\nw = "a < b > c"\n'
        "v = f'<rect x=\"{x}\"/>'\n"
        'def f():\n    """Names <path> in prose."""\n'
    )
    assert sorted(h.split(": ")[0] for h in html_in_strings(source, "s.py")) == [
        "s.py:2",
        "s.py:2",
        "s.py:3",
        "s.py:5",
    ]


def test_no_python_file_under_coalguard_contains_html_tags() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert any("cloud" in f.parts for f in files) and any("gateway" in f.parts for f in files)
    hits = [
        hit
        for path in files
        for hit in html_in_strings(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert not hits, "HTML built in Python (move it to a template):\n" + "\n".join(hits)
