"""What escalation needs of the contact directory: the people of a step, a phone at send time.

The directory itself (encrypted phones, rotas, imports) is ``cloud/contacts``;
``ContactDirectory`` adapts it. Escalation stores only a contact's id and
asks for the phone again when a message goes out, so a changed number or a
rota that moved on is honoured and no plain phone is ever stored in a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session


class Person(Protocol):
    """A recipient as the directory gives it (``contacts.Recipient`` is one)."""

    contact_id: Any
    who: str
    name: str
    phone_masked: str | None


class Directory(Protocol):
    def recipients(
        self, s: Session, *, who: str, device_id: str, region_code: str, at: datetime
    ) -> list[Person]:
        """The people in role ``who`` for this alarm now (household, on-call rota, …)."""
        ...

    def person(self, s: Session, contact_id: str) -> tuple[str, str | None] | None:
        """(name, phone) of a contact at send time; None when it no longer exists."""
        ...
