"""Load versioned TOML data files and validate them with pydantic.

Standards, register maps and alert rules are data. A bad file must be refused
with the file, line and field named, so this module maps a pydantic error
location (``limit.2.max``) back to the line of the TOML text that holds it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from coalguard.errors import DataFileError

M = TypeVar("M", bound=BaseModel)

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
_TOML_POS = re.compile(r"\(at line (\d+), column \d+\)")


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; a syntax error becomes a DataFileError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), f"not UTF-8 text ({exc.reason})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        line = int(m.group(1)) if m else None
        raise DataFileError(
            str(path), f"TOML syntax: {_TOML_POS.sub('', msg).strip()}", line
        ) from None


def locate(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Best line number for a validation location in a TOML text.

    Handles top-level keys, ``[table]`` keys and ``[[array]]`` entries
    (``("limit", 2, "max")`` is the key ``max`` in the third ``[[limit]]``).
    Returns the table header's line when the key itself is absent.
    """
    parts = [p for p in loc if p not in ("__root__",)]
    lines = text.splitlines()
    # Walk the path: named tables/arrays narrow the search window.
    start, end = 0, len(lines)
    table: list[str] = []
    best: int | None = None
    i = 0
    while i < len(parts):
        part = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(part, str) and isinstance(nxt, int):
            name = ".".join([*table, part])
            count = -1
            found = None
            for n in range(start, end):
                m = _HEADER.match(lines[n])
                if m and m.group(1) == "[[" and m.group(2) == name:
                    count += 1
                    if count == nxt:
                        found = n
                        break
            if found is None:
                key_line = _find_key(lines, start, end, part)
                return key_line if key_line is not None else best
            best = found + 1
            start, end = found + 1, _next_header(lines, found + 1, end)
            table = [*table, part]
            i += 2
            continue
        if isinstance(part, str):
            key_line = _find_key(lines, start, end, part)
            if key_line is not None:
                return key_line
            name = ".".join([*table, part])
            for n in range(start, len(lines)):
                m = _HEADER.match(lines[n])
                if m and m.group(2) == name:
                    best = n + 1
                    start, end = n + 1, _next_header(lines, n + 1, len(lines))
                    table = [*table, part]
                    break
            else:
                return best
            i += 1
            continue
        i += 1
    return best


def _find_key(lines: list[str], start: int, end: int, key: str) -> int | None:
    stop = _next_header(lines, start, end)
    for n in range(start, stop):
        m = _KEY.match(lines[n])
        if m and m.group(1).strip("\"'") == key:
            return n + 1
    return None


def _next_header(lines: list[str], start: int, end: int) -> int:
    for n in range(start, end):
        if _HEADER.match(lines[n]):
            return n
    return end


def load_model(path: Path, model: type[M], extra: dict[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; errors name file, line, field."""
    data, text = read_toml(path)
    if extra:
        data = {**data, **extra}
    return validate(path, text, data, model)


def validate(path: Path, text: str, data: Any, model: type[M]) -> M:
    """Validate parsed data, turning the first pydantic error into a DataFileError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        field = ".".join(str(p) for p in loc) or None
        msg = err.get("msg", "invalid")
        msg = msg.removeprefix("Value error, ")
        raise DataFileError(str(path), msg, locate(text, loc), field) from None
