"""Finding a household of the register from a farmhouse: by village and the head's name.

Names are sealed (``households/tables.py``), so the village's households are opened
here, in memory, and matched; what goes back to the page is masked. A village holds
hundreds of households, not millions: opening them per search is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.auth import Operator
from coalguard.cloud.co.tables import CoCommissioning, CoDevice
from coalguard.cloud.households.register import head_name
from coalguard.cloud.households.tables import Household
from coalguard.cloud.sealing import Keyring

MAX_FOUND = 30


@dataclass(frozen=True)
class HouseholdCard:
    """A household as the installer sees it: masked, with its alarms."""

    id: int
    village_code: str
    head: str  # masked
    address: str
    phone: str | None  # masked
    category: str | None  # a vocabulary key
    alarms: tuple[str, ...]
    commissioned: bool  # an alarm of it passed its test


def villages(s: Session, op: Operator) -> list[str]:
    """The villages of the caller's region that have households on the register."""
    q = (
        select(Household.village_code)
        .where(Household.village_code.startswith(op.region_prefix, autoescape=True))
        .distinct()
        .order_by(Household.village_code)
    )
    return list(s.scalars(q))


def cards(s: Session, rows: list[Household]) -> list[HouseholdCard]:
    ids = [h.id for h in rows]
    alarms: dict[int, list[str]] = {}
    q = select(CoDevice.household_id, CoDevice.device_id).where(CoDevice.household_id.in_(ids))
    for hid, dev in s.execute(q.order_by(CoDevice.device_id)):
        alarms.setdefault(hid, []).append(dev)
    passed = select(CoDevice.household_id).join(
        CoCommissioning, CoCommissioning.device_id == CoDevice.device_id
    )
    done = set(
        s.scalars(passed.where(CoDevice.household_id.in_(ids), CoCommissioning.status == "passed"))
    )
    return [
        HouseholdCard(
            id=h.id,
            village_code=h.village_code,
            head=h.head_name_masked,
            address=h.address,
            phone=h.phone_masked,
            category=h.category,
            alarms=tuple(alarms.get(h.id, ())),
            commissioned=h.id in done,
        )
        for h in rows
    ]


def find_households(
    s: Session, keyring: Keyring, op: Operator, village: str, name: str
) -> list[HouseholdCard]:
    """Households of ``village`` whose head's name contains ``name`` (all when blank)."""
    if not village or not op.covers(village):
        return []
    name = name.strip()
    q = select(Household).where(Household.village_code == village).order_by(Household.id)
    found = [h for h in s.scalars(q) if not name or name in head_name(h, keyring)]
    return cards(s, found[:MAX_FOUND])


def household_card(s: Session, op: Operator, household_id: int) -> HouseholdCard | None:
    """One household, when it is in the caller's region."""
    h = s.get(Household, household_id)
    if h is None or not op.covers(h.village_code):
        return None
    return cards(s, [h])[0]
