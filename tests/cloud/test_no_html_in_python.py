"""Pages and reports come from templates: no ``.py`` under ``coalguard/cloud/`` builds HTML."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import coalguard.cloud

CLOUD = Path(coalguard.cloud.__file__).parent
# An opening or closing tag: <p>, </td>, <svg width=...>, <br/>.
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = node.body[0] if node.body else None
            if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant):
                ids.add(id(doc.value))
    return ids


def html_in_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string literal (f-string parts too) holding a tag; not docstrings."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docs
        and TAG.search(node.value)
    ]


def test_no_html_tags_in_cloud_python_strings() -> None:
    files = sorted(CLOUD.rglob("*.py"))
    assert len(files) > 20
    found = [
        f"{f.relative_to(CLOUD)}:{line}: {text[:60]!r}"
        for f in files
        for line, text in html_in_strings(f.read_text(encoding="utf-8"))
    ]
    assert found == [], "render these from cloud/templates/:\n" + "\n".join(found)


def test_the_scan_sees_tags_in_f_strings() -> None:
    assert html_in_strings('name = "x"\nhtml = f"<td>{name}</td>"\n') == [(2, "<td>"), (2, "</td>")]
    assert html_in_strings('"""A <b>docstring</b> may show markup."""\nx = "a < b > c"\n') == []
