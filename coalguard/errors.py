"""Errors that reach a person: each names what is wrong, never a traceback."""

from __future__ import annotations


class CoalguardError(Exception):
    """Base for errors shown to an operator as one clear line (CLI exit 2)."""


class DataFileError(CoalguardError):
    """A data file (profile, register map, rules) is malformed.

    The message names the file, the line when known, and the field.
    """

    def __init__(self, path: str, message: str, line: int | None = None, field: str | None = None):
        self.path = path
        self.line = line
        self.field = field
        self.reason = message
        where = f"{path}, line {line}" if line else path
        what = f", field '{field}'" if field else ""
        super().__init__(f"{where}{what}: {message}")


class InputError(CoalguardError):
    """A request or input document is invalid; the message names the field."""
