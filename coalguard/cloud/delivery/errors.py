"""The one refusal of the delivery ledgers: a ``[delivery]`` catalog key and its parameters."""

from __future__ import annotations

from coalguard.errors import WordedInputError


class DeliveryError(WordedInputError):
    """A delivery action refused; ``status`` is the HTTP status a route answers with."""

    section = "delivery"

    def __init__(self, key: str, status: int = 422, **params: object) -> None:
        self.status = status
        super().__init__(key, **params)
