"""What escalation needs of the contact directory: the people of a step, a phone at send time.

The directory itself (encrypted phones, rotas, imports) is ``cloud/contacts``;
``ContactDirectory`` adapts it. Escalation stores only a contact's id and
asks for the phone again when a message goes out, so a changed number or a
rota that moved on is honoured and no plain phone is ever stored in a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from coalguard.cloud import contacts
from coalguard.cloud.sealing import Keyring


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


@dataclass(frozen=True)
class ContactDirectory:
    """The contact directory (``cloud/contacts``) as escalation reads it; phones opened with
    ``keyring`` only when a message goes out."""

    keyring: Keyring

    def recipients(
        self, s: Session, *, who: str, device_id: str, region_code: str, at: datetime
    ) -> list[Person]:
        return list(
            contacts.recipients(
                s, self.keyring, who=who, device_id=device_id, region_code=region_code, at=at
            )
        )

    def person(self, s: Session, contact_id: str) -> tuple[str, str | None] | None:
        if not contact_id.isdigit():
            return None
        found = contacts.contact_by_id(s, self.keyring, int(contact_id))
        return (found.name, found.phone) if found else None
