"""Errors the gateway shows an operator: one line, in their language.

Parameters keep the raw names (states, actions, fields), so ``str()`` (logs,
the API) names them exactly; ``text(lang)`` puts each into words from the
catalog, so no raw state or action name reaches an operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coalguard.errors import CoalguardError
from coalguard.i18n import t

# Parameter name -> catalog section its raw value is a key of.
WORDS = {
    "state": "state",
    "action": "action",
    "step": "action",
    "overall": "status",
    "coal_type": "coal_type",
    "field": "gw",
}


def in_words(section: str, raw: str, lang: str | None) -> str:
    """``raw`` as the catalog says it in ``section``; the raw text when it has no entry."""
    key = f"{section}.{raw}"
    text = t(key, lang)
    return raw if text == key else text


def _param(name: str, value: Any, lang: str | None) -> Any:
    if callable(getattr(value, "text", None)):  # a field's reason, a worded error
        return value.text(lang)
    if name == "allowed" and isinstance(value, Sequence) and not isinstance(value, str):
        words = [in_words("action", a, lang) for a in value]
        return t("gw_err.list_sep", lang).join(words) if words else "—"
    if name in WORDS and isinstance(value, str):
        return in_words(WORDS[name], value, lang)
    return value


def _raw(value: Any) -> Any:
    """A parameter as logs show it: lists joined, names as stored."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(map(str, value)) or "—"
    return value


class GatewayError(CoalguardError):
    """A refused step. ``key`` names a message in the locale catalog (``section``)."""

    section = "gw_err"

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        raw = {k: _raw(v) for k, v in params.items()}
        super().__init__(self._format(t(self._key(), "en"), raw))

    def _key(self) -> str:
        """``key`` in this class's table, or a full ``table.key`` (``refusal.gw_...``)."""
        return self.key if "." in self.key else f"{self.section}.{self.key}"

    def text(self, lang: str | None = None) -> str:
        """The message a person reads: states, actions and fields in words."""
        words = {k: _param(k, v, lang) for k, v in self.params.items()}
        return self._format(t(self._key(), lang), words)

    @staticmethod
    def _format(template: str, params: dict[str, Any]) -> str:
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            return template


class IllegalTransition(GatewayError):
    """The inspection is not in a state where this step is allowed."""


class NotFound(GatewayError):
    """No such inspection, lab sample or result."""
