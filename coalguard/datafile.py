"""Load versioned TOML data files and validate them with pydantic.

Standards, register maps and alert rules are data. A bad file must be refused
with the file, line and field named, so this module maps a pydantic error
location (``limit.2.max``) back to the line of the TOML text that holds it.

``Number`` and ``Integer`` are the field types for every number read from a
data file or an input document: pydantic's default (lax) float takes ``true``
as 1.0, ``"12"`` as 12.0 and ``nan`` as a limit no value can fail, so a
mistyped file would be accepted silently. NaN and infinity are refused here,
once, instead of by a check in each model.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AllowInfNan, BaseModel, Strict, ValidationError
from pydantic_core import ErrorDetails

from coalguard import validation
from coalguard.errors import DataFileError, WordedValueError
from coalguard.i18n import t

M = TypeVar("M", bound=BaseModel)

Number = Annotated[float, Strict(), AllowInfNan(False)]
"""A finite number written as a number (an integer is fine; true, "12", nan, inf are not)."""
Integer = Annotated[int, Strict()]
"""An integer written as an integer (true, "3" and 3.0 are refused)."""

# Number errors: a number refused is the likelier mistake than the other members of a union.
_NUMBER_ERRORS = frozenset(
    {"finite_number", "float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"}
)

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
_TOML_POS = re.compile(r"\(at line (\d+), column \d+\)")
_HUGE_INT = re.compile(r"[0-9_]{4300,}")


class FieldError(ValueError):
    """Raised by a model validator to point at one field below it (file, line, field).

    A check across fields (two register ranges overlap) runs on the whole
    model, whose location is the root; ``loc`` names the offending field.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        self.loc = loc
        super().__init__(message)


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; a syntax error becomes a DataFileError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        why = WordedValueError("datafile_frame.cannot_read", detail=exc.strerror or exc)
        raise DataFileError(str(path), why) from None
    except UnicodeDecodeError as exc:
        why = WordedValueError("datafile_frame.not_utf8", detail=exc.reason)
        raise DataFileError(str(path), why) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        line = int(m.group(1)) if m else None
        why = WordedValueError("datafile_frame.toml_syntax", detail=_TOML_POS.sub("", msg).strip())
        raise DataFileError(str(path), why, line) from None
    except ValueError:  # tomllib gives up on an integer over Python's 4,300 digits
        m = _HUGE_INT.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else None
        raise DataFileError(str(path), t("datafile.huge_integer"), line) from None
    except RecursionError:
        raise DataFileError(str(path), t("datafile.too_deep")) from None


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
            start, end = found + 1, _element_end(lines, found + 1, end, name)
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
                if not _has_header_below(lines, start, name):
                    return best
                table = [*table, part]  # only [name.sub] tables: the next part narrows
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


def _has_header_below(lines: list[str], start: int, name: str) -> bool:
    """A ``[name.sub]`` table exists although ``[name]`` itself is never written."""
    for n in range(start, len(lines)):
        m = _HEADER.match(lines[n])
        if m and m.group(2).startswith(name + "."):
            return True
    return False


def _element_end(lines: list[str], start: int, end: int, name: str) -> int:
    """Where one ``[[name]]`` element ends: its own ``[[name.sub]]`` tables belong to it."""
    for n in range(start, end):
        m = _HEADER.match(lines[n])
        if m and not m.group(2).startswith(name + "."):
            return n
    return end


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
        errors = exc.errors()
        # A number refused is the likelier mistake than the other members of a union.
        err = next((e for e in errors if e["type"] in _NUMBER_ERRORS), errors[0])
        loc = tuple(err.get("loc", ()))
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, FieldError):
            loc = (*loc, *inner.loc)
        why = validation.FieldReason(err)
        raise DataFileError(str(path), why, locate(text, loc), field_path(loc)) from None


def field_path(loc: tuple[str | int, ...]) -> str | None:
    """``limit.2.max`` for a pydantic location, shortened when a key is absurdly long."""
    return validation.short(".".join(map(str, loc))) or None


def reason(err: ErrorDetails, lang: str | None = None) -> str:
    """What is wrong with one field, for a person: the catalog's words."""
    return validation.reason(err, lang)
