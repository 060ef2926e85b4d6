"""The zones' loose-coal clearance (动态清零, R22): loose coal found at a household in a
zone is an open finding until cleared; per zone the open findings must reach 0.

The zone is looked up by the household's village (``cloud/zones/lists.py`` ``zone_for``
on the local day); a village in no zone is refused. A household on the register
(``cloud/households``) is named by its id, and its village is the register's; one not
on file yet by its village and a reference (a door number)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.casework.tables import ZoneFinding
from coalguard.cloud.households.tables import Household
from coalguard.cloud.market.sales import local_day
from coalguard.cloud.zones.lists import zone_for
from coalguard.cloud.zones.tables import ZoneArea
from coalguard.errors import WordedValueError

OPEN, CLEARED = "open", "cleared"


class ClearanceError(WordedValueError):
    section = "ledger"


def record_finding(
    s: Session,
    *,
    village: str | None,
    household_ref: str,
    note: str,
    by: str,
    now: datetime,
    household: Household | None = None,
) -> ZoneFinding:
    """Loose coal at a household of ``village`` (the register's household's own village
    when one is given): an open item of the village's zone."""
    if household is not None:
        village = household.village_code
        household_ref = household_ref.strip() or f"{household.id} {household.address}"
    if not village:
        raise ClearanceError("household_missing")
    area = zone_for(s, village, local_day(now))
    if area is None:
        raise ClearanceError("not_in_zone", village=village)
    if not household_ref.strip():
        raise ClearanceError("household_missing")
    row = ZoneFinding(
        zone_area_id=area.id,
        region_code=village,
        household_id=household.id if household is not None else None,
        household_ref=household_ref.strip()[:100],
        note=note.strip()[:2000],
        status=OPEN,
        found_by=by,
        found_at=now,
    )
    s.add(row)
    s.flush()
    return row


def clear_finding(s: Session, row: ZoneFinding, how: str, by: str, now: datetime) -> ZoneFinding:
    """The loose coal is gone (removed, replaced by clean coal): the item is cleared."""
    if row.status != OPEN:
        raise ClearanceError("cleared_already", finding=row.id)
    row.status, row.cleared_by, row.cleared_at = CLEARED, by, now
    row.clearance = how.strip()[:2000]
    s.flush()
    return row


@dataclass
class ZoneClearance:
    """One zone's open findings (the dashboard's row): cleared when ``open_count`` is 0."""

    area_id: int
    name: str
    kind: str
    region_code: str
    open_count: int = 0
    cleared_count: int = 0
    open_items: list[ZoneFinding] = field(default_factory=list)


def clearance(s: Session, region: str) -> list[ZoneClearance]:
    """Per zone with a finding in ``region`` (prefix): open count and items, open first."""
    rows = s.execute(
        select(ZoneFinding, ZoneArea)
        .join(ZoneArea, ZoneArea.id == ZoneFinding.zone_area_id)
        .where(ZoneFinding.region_code.startswith(region))
        .order_by(ZoneFinding.found_at)
    ).all()
    zones: dict[int, ZoneClearance] = {}
    for finding, area in rows:
        z = zones.setdefault(
            area.id, ZoneClearance(area.id, area.name, area.kind, area.region_code)
        )
        if finding.status == OPEN:
            z.open_count += 1
            z.open_items.append(finding)
        else:
            z.cleared_count += 1
    return sorted(zones.values(), key=lambda z: (-z.open_count, z.region_code))
