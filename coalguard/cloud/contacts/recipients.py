"""Who to reach for an alarm: the read side of the directory the escalation uses.

``recipients`` answers one step of an escalation (``who``) for one alarm;
``contact_by_id`` finds one person again for a re-send. Each ``Recipient``
carries the plain phone, opened from its sealed form for sending only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.contacts.directory import open_phone
from coalguard.cloud.contacts.rota import on_duty
from coalguard.cloud.contacts.tables import Contact
from coalguard.cloud.scope import ancestor
from coalguard.cloud.sealing import Keyring

log = logging.getLogger("coalguard.cloud.contacts")

# An escalation step -> (the contacts' role, the level of the alarm's region they serve).
WHO = {
    "household": ("household", "village"),
    "grid_worker": ("grid_worker", "village"),
    "village_committee": ("village_committee", "village"),
    "village_inspector": ("village_inspector", "village"),
    "township_on_call": ("township_duty", "township"),
    "county_desk": ("county_desk", "county"),
}
# The escalation step a contact's role answers (the reverse of ``WHO``).
STEP_OF_ROLE = {role: who for who, (role, _level) in WHO.items()}


@dataclass(frozen=True)
class Recipient:
    contact_id: int  # stable id of the contact row
    who: str  # a key of ``WHO``
    name: str  # plain, for the message; never logged
    phone: str  # plain 11 digits, for sending only; never stored elsewhere or logged
    phone_masked: str
    region_code: str
    # False: nobody was rostered at that time; every duty officer of the township instead.
    rostered: bool = True

    def __repr__(self) -> str:  # a recipient in a log line shows no personal data
        return f"Recipient(contact_id={self.contact_id}, who={self.who!r}, {self.phone_masked})"


def _recipient(c: Contact, keyring: Keyring, who: str, rostered: bool = True) -> Recipient:
    return Recipient(
        contact_id=c.id,
        who=who,
        name=c.name,
        phone=open_phone(c, keyring),
        phone_masked=c.phone_masked,
        region_code=c.region_code,
        rostered=rostered,
    )


def recipients(
    s: Session, keyring: Keyring, *, who: str, device_id: str, region_code: str, at: datetime
) -> list[Recipient]:
    """The people of one escalation step for the alarm ``device_id`` in village ``region_code``.

    ``household``: the alarm's household contacts; the village roles: that role's
    people of the alarm's village; ``township_on_call``: the officers on duty at
    ``at``, else (logged, ``rostered=False``) every duty officer of the township;
    ``county_desk``: the county's duty desk. Inactive contacts are never reached.
    """
    if who not in WHO:
        raise ValueError(f"unknown recipient kind {who!r}; known: {', '.join(WHO)}")
    role, level = WHO[who]
    if role == "household":
        q = select(Contact).where(Contact.device_id == device_id, Contact.role == "household")
        rows = list(s.scalars(q.where(Contact.active).order_by(Contact.id)))
        return [_recipient(c, keyring, who) for c in rows]
    region = ancestor(region_code, level)
    if role == "township_duty":
        rows = on_duty(s, region, at)
        if rows:
            return [_recipient(c, keyring, who) for c in rows]
        log.warning("nobody rostered in township %s at %s: reaching every duty officer", region, at)
        return [_recipient(c, keyring, who, rostered=False) for c in _holders(s, role, region)]
    return [_recipient(c, keyring, who) for c in _holders(s, role, region)]


def _holders(s: Session, role: str, region: str) -> list[Contact]:
    q = select(Contact).where(Contact.role == role, Contact.region_code == region, Contact.active)
    return list(s.scalars(q.order_by(Contact.id)))


def contact_by_id(s: Session, keyring: Keyring, contact_id: int) -> Recipient | None:
    """One contact again (a re-send), active or not; None when there is no such row."""
    c = s.get(Contact, contact_id)
    if c is None:
        return None
    return _recipient(c, keyring, STEP_OF_ROLE[c.role])
