"""Errors that reach a person: each names what is wrong, never a traceback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coalguard.i18n import t


class CoalguardError(Exception):
    """Base for errors shown to an operator as one clear line (CLI exit 2)."""


class DataFileError(CoalguardError):
    """A data file (profile, register map, rules) is malformed.

    The message names the file, the line when known, and the field.
    """

    def __init__(self, path: str, message: Any, line: int | None = None, field: str | None = None):
        """``message``: text, or something that words itself (``text(lang)``)."""
        self.path = path
        self.line = line
        self.field = field
        self._why = message
        self.reason = str(worded(message, None))
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        """``<file>, line <n>, field '<f>': <reason>`` in the reader's language."""
        where = "at_line" if self.line else "at"
        frame = t(f"datafile_frame.{where}", lang) + (
            t("datafile_frame.field", lang) if self.field else ""
        )
        head = frame.format(path=self.path, line=self.line, field=self.field)
        why = worded(self._why, lang)
        return t("datafile_frame.reason", lang).format(where=head, reason=why)


class InputError(CoalguardError):
    """A request or input document is invalid; the message names the field."""


class WordedError(CoalguardError):
    """An error a person reads: a catalog key and its parameters.

    ``str()`` is the English text (logs, exit lines for scripts); ``text(lang)``
    is the same message in the reader's language. ``section`` is the catalog
    table the key lives in.
    """

    section = "refusal"

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.text("en"))

    @property
    def catalog_key(self) -> str:
        """``key`` in this class's ``section``, or a full ``table.key`` as given."""
        return self.key if "." in self.key else f"{self.section}.{self.key}"

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (parameters that are worded errors in ``lang`` too)."""
        return fill(t(self.catalog_key, lang), self.params, lang)


class Unreachable(WordedError):
    """A database or broker a process needs at start cannot be reached or opened:
    one worded line and exit 2 (systemd restarts it), not a traceback."""

    section = "deploy"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (drivers add hints on further lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class WordedInputError(WordedError, InputError):
    """An invalid request or document, worded from the catalog."""


class Refusal(WordedInputError):
    """A domain step refused, with the HTTP status the API answers it with (``status``):
    the cloud turns every one into a problem document by its own key, in one place
    (``cloud/api/problems.install``), so no route maps its domain's errors by hand.
    ``status`` defaults to the class's (422 unless a domain's refusals are mostly 409)."""

    status = 422

    def __init__(self, key: str, status: int | None = None, **params: Any) -> None:
        if status is not None:
            self.status = status
        super().__init__(key, **params)


class WordedValueError(WordedInputError, ValueError):
    """A value a validator refuses (pydantic reports ``ValueError``s as field errors)."""


def fill(template: str, params: Mapping[str, Any], lang: str | None) -> str:
    """``template`` with ``params``; a worded error among them in ``lang``; never raises."""
    words = {k: worded(v, lang) for k, v in params.items()}
    try:
        return template.format(**words)
    except (KeyError, IndexError, ValueError):
        return template


def worded(value: Any, lang: str | None) -> Any:
    """Anything that words itself (``text(lang)``: worded errors, ``UntrustedJson``,
    a field's reason) in ``lang``; any other value as it is."""
    text = getattr(value, "text", None)
    return text(lang) if callable(text) else value


def words_of(exc: BaseException, lang: str | None) -> str:
    """What a person reads for ``exc``: its words in ``lang`` when it has them."""
    return str(worded(exc, lang))


def as_refusal(exc: Exception) -> CoalguardError:
    """``exc`` as an error the CLI prints in words: itself when worded, else its text."""
    return exc if isinstance(exc, CoalguardError) else InputError(str(exc))
