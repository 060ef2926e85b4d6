"""Coverage per village: what the register says is done, against what must be.

New coal households with a commissioned CO alarm (target 100 %, R14), households
on clean coal, households trained, households re-verified. An alarm counts once
its commissioning test passed (``co_commissioning``, ``co/registry.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.co.tables import CoCommissioning, CoDevice
from coalguard.cloud.households.tables import Household, Verification
from coalguard.cloud.households.vocabulary import vocabulary


@dataclass
class VillageCoverage:
    village_code: str
    households: int = 0
    coal_households: int = 0
    coal_with_alarm: int = 0
    clean_coal: int = 0
    trained: int = 0
    verified: int = 0

    @property
    def alarm_pct(self) -> float | None:
        """Share of new coal households with a commissioned alarm (None: no such household)."""
        return _pct(self.coal_with_alarm, self.coal_households)

    @property
    def clean_coal_pct(self) -> float | None:
        return _pct(self.clean_coal, self.households)

    @property
    def trained_pct(self) -> float | None:
        return _pct(self.trained, self.households)

    @property
    def verified_pct(self) -> float | None:
        return _pct(self.verified, self.households)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def commissioned_households(s: Session, region_prefix: str) -> set[int]:
    """Households of the region with at least one alarm whose commissioning test passed."""
    q = (
        select(CoDevice.household_id)
        .join(CoCommissioning, CoCommissioning.device_id == CoDevice.device_id)
        .where(
            CoDevice.household_id.is_not(None),
            CoDevice.registered.is_(True),
            CoDevice.region_code.startswith(region_prefix),
            CoCommissioning.status == "passed",
        )
        .distinct()
    )
    return {h for h in s.scalars(q) if h is not None}


def is_coal_household(h: Household) -> bool:
    return h.category in vocabulary().coal_categories


def coverage(s: Session, region_prefix: str) -> list[VillageCoverage]:
    """One row per village of the region that has households on the register."""
    v = vocabulary()
    with_alarm = commissioned_households(s, region_prefix)
    verified = set(
        s.scalars(
            select(Verification.household_id)
            .join(Household, Household.id == Verification.household_id)
            .where(Household.village_code.startswith(region_prefix))
            .distinct()
        )
    )
    rows: dict[str, VillageCoverage] = {}
    q = select(Household).where(Household.village_code.startswith(region_prefix))
    for h in s.scalars(q):
        row = rows.setdefault(h.village_code, VillageCoverage(h.village_code))
        row.households += 1
        if h.category in v.coal_categories:
            row.coal_households += 1
            row.coal_with_alarm += h.id in with_alarm
        row.clean_coal += h.heating_route in v.clean_coal_routes
        row.trained += h.trained_on is not None
        row.verified += h.id in verified
    return [rows[k] for k in sorted(rows)]


def coal_households_without_alarm(s: Session, region_prefix: str) -> list[Household]:
    """New coal households with no commissioned alarm: what the season check must list."""
    with_alarm = commissioned_households(s, region_prefix)
    q = (
        select(Household)
        .where(
            Household.village_code.startswith(region_prefix),
            Household.category.in_(vocabulary().coal_categories),
        )
        .order_by(Household.village_code, Household.id)
    )
    return [h for h in s.scalars(q) if h.id not in with_alarm]


def commissioned_devices(s: Session, device_ids: list[str]) -> set[str]:
    """Which of these alarms passed a commissioning test."""
    if not device_ids:
        return set()
    q = select(CoCommissioning.device_id).where(
        CoCommissioning.device_id.in_(device_ids), CoCommissioning.status == "passed"
    )
    return set(s.scalars(q.distinct()))


def alarms_by_household(s: Session, household_ids: list[int]) -> dict[int, list[CoDevice]]:
    """The registered alarms of these households, by household."""
    out: dict[int, list[CoDevice]] = {}
    if not household_ids:
        return out
    q = select(CoDevice).where(CoDevice.household_id.in_(household_ids))
    for d in s.scalars(q.order_by(CoDevice.device_id)):
        out.setdefault(d.household_id or 0, []).append(d)
    return out
