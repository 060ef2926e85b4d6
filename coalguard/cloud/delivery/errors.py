"""The one refusal of the delivery ledgers: a ``[delivery]`` catalog key and its parameters."""

from __future__ import annotations

from coalguard.errors import Refusal


class DeliveryError(Refusal):
    """A delivery action refused (422 unless it says otherwise)."""

    section = "delivery"
