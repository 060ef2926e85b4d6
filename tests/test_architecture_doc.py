"""docs/architecture.md stays true: every path it names exists, every package and module has a home.

A newcomer finds where a thing lives from that one table; parallel merges once left it with
seven rows for one package and modules that no longer existed.
"""

from __future__ import annotations

import ast
import re
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PACKAGE = ROOT / "coalguard"

_TICKED = re.compile(r"`([^`]+)`")
_PATHLIKE = re.compile(r"^[\w*][\w.*-]*(/[\w.*-]*)*$")
_EXTENSIONS = (".py", ".toml", ".html", ".css", ".js", ".json", ".mako", ".svg", ".md")
# Paths outside the package that the doc names and the test checks from the repository root;
# tests/ is left out on purpose: its layout is described, not enumerated.
_ROOT_DIRS = ("deploy/", "bench/", "docs/")


def _tree() -> list[str]:
    """Every file and directory under coalguard/, as repository-relative posix paths."""
    paths = (p for p in PACKAGE.rglob("*") if "__pycache__" not in p.parts and p.suffix != ".pyc")
    return ["coalguard", *sorted(p.relative_to(ROOT).as_posix() for p in paths)]


def _path_tokens(text: str) -> list[str]:
    tokens = []
    for token in _TICKED.findall(text):
        token = token.strip()
        if not _PATHLIKE.match(token):
            continue
        if "/" in token or token.endswith(_EXTENSIONS):
            tokens.append(token)
    return tokens


def _rows() -> list[tuple[str, str]]:
    """(first column, rest of the row) for each body row of the table."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "where":
            continue
        rows.append((cells[0], " | ".join(cells[1:])))
    return rows


def _bases(first_column: str) -> list[str]:
    """The package directories a row is about, from the coalguard/ paths in its first column."""
    bases = []
    for token in _path_tokens(first_column):
        if token.startswith("coalguard/"):
            path = token.rstrip("/")
            bases.append(path if (ROOT / path).is_dir() else str(Path(path).parent.as_posix()))
    return bases


def _resolve(token: str, bases: list[str], tree: list[str]) -> list[str]:
    """What a doc path names: a coalguard/ path as written, a bare name under the row's package."""
    name = token.rstrip("/")
    if token.startswith("coalguard/"):
        return [p for p in tree if fnmatch(p, name)]
    for scope in (bases, sorted({b.rsplit("/", 1)[0] for b in bases}), ["coalguard"]):
        found = [
            p
            for b in scope
            for p in tree
            if fnmatch(p, f"{b}/{name}") or fnmatch(p, f"{b}/*/{name}")
        ]
        if found:
            return found
    return []


def _check_doc() -> tuple[list[str], set[str], set[str]]:
    """Missing paths, the package directories in first columns, and the modules the doc names."""
    tree = _tree()
    missing: list[str] = []
    first_columns: set[str] = set()
    named: set[str] = set()
    for first, rest in _rows():
        bases = _bases(first)
        first_columns.update(
            t.rstrip("/") for t in _path_tokens(first) if t.startswith("coalguard/")
        )
        for token in _path_tokens(first) + _path_tokens(rest):
            if token.startswith("tests/"):
                continue
            if token.startswith(_ROOT_DIRS):
                if not (ROOT / token).exists():
                    missing.append(f"{first}: {token}")
                continue
            if not bases and not token.startswith("coalguard/"):
                continue
            found = _resolve(token, bases, tree)
            if not found:
                missing.append(f"{first}: {token}")
            named.update(found)
    return missing, first_columns, named


def test_every_path_in_the_architecture_doc_exists() -> None:
    missing, _, _ = _check_doc()
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_coalguard_path_in_the_prose_exists() -> None:
    tree = _tree()
    prose = [
        line for line in DOC.read_text(encoding="utf-8").splitlines() if not line.startswith("|")
    ]
    missing = [
        token
        for token in _path_tokens("\n".join(prose))
        if token.startswith("coalguard/") and not _resolve(token, [], tree)
    ]
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_package_has_a_row() -> None:
    _, first_columns, _ = _check_doc()
    packages = {
        init.parent.relative_to(ROOT).as_posix()
        for init in PACKAGE.rglob("__init__.py")
        if init.parent != PACKAGE
    }
    homeless = sorted(packages - first_columns)
    assert not homeless, f"packages without a row in docs/architecture.md: {homeless}"


def test_every_module_is_named_in_its_row() -> None:
    _, _, named = _check_doc()
    modules = {
        p.relative_to(ROOT).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" and "versions" not in p.parts
    }
    unnamed = sorted(modules - named)
    assert not unnamed, f"modules docs/architecture.md does not name: {unnamed}"


def _imported(area: str) -> dict[str, set[str]]:
    """The coalguard modules each module of an area imports (absolute and relative imports)."""
    found: dict[str, set[str]] = {}
    for path in (PACKAGE / area).rglob("*.py"):
        package = path.relative_to(ROOT).parent.parts
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = list(package[: len(package) - node.level + 1])
                    module = ".".join(base + ([node.module] if node.module else []))
                    names.update(
                        [module] if node.module else [f"{module}.{a.name}" for a in node.names]
                    )
                elif node.module:
                    names.add(node.module)
        found[path.relative_to(ROOT).as_posix()] = {n for n in names if n.startswith("coalguard.")}
    return found


def _crossings(areas: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for area in areas
        for module, names in _imported(area).items()
        for name in names
        if name.startswith(forbidden)
    )


def test_drivers_edge_and_simulators_never_import_gateway_or_cloud() -> None:
    crossings = _crossings(
        ("drivers", "edge", "simulators"), ("coalguard.gateway", "coalguard.cloud")
    )
    assert not crossings, crossings


def test_gateway_and_cloud_never_import_each_other() -> None:
    crossings = _crossings(("gateway",), ("coalguard.cloud",)) + _crossings(
        ("cloud",), ("coalguard.gateway",)
    )
    assert not crossings, crossings


def test_each_area_has_one_row() -> None:
    """Parallel merges once left seven rows for one package; a newcomer reads one."""
    firsts = [first for first, _ in _rows()]
    assert sorted({f for f in firsts if firsts.count(f) > 1}) == []
