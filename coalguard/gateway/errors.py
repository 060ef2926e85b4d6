"""Errors the gateway shows an operator: one line, in their language."""

from __future__ import annotations

from typing import Any

from coalguard.errors import CoalguardError
from coalguard.i18n import t


class GatewayError(CoalguardError):
    """A refused step. ``key`` names a message in the locale catalog (``section``)."""

    section = "gw_err"

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        template = t(f"{self.section}.{self.key}", lang)
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return f"{template} {self.params}"


class IllegalTransition(GatewayError):
    """The inspection is not in a state where this step is allowed."""


class NotFound(GatewayError):
    """No such inspection, lab sample or result."""
