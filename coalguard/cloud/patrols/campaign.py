"""The pre-season sweep (大起底、大排查、大清理, Hebei seed 000 (三)) as a campaign.

A campaign lists the villages of a region (by default every village grid under it);
a village is ``pending`` until a patrol of the campaign reaches it (``started``) and
``done`` when a grid leader or an operator signs its sweep off. Progress per village
counts the campaign's patrols, households seen and loose-coal findings there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.patrols.tables import Campaign, CampaignVillage, Grid, PatrolRecord
from coalguard.cloud.scope import region_level
from coalguard.errors import WordedInputError

PENDING, STARTED, DONE = "pending", "started", "done"


class CampaignError(WordedInputError):
    """A campaign step refused, worded from the ``[patrols]`` table."""


def open_campaign(
    s: Session,
    name: str,
    region_code: str,
    starts_on: date,
    ends_on: date,
    who: str,
    now: datetime,
    villages: list[str] | None = None,
) -> Campaign:
    """A campaign over ``villages`` (default: every village grid under ``region_code``)."""
    if ends_on < starts_on:
        raise CampaignError("patrols.campaign_dates")
    if villages is None:
        q = select(Grid.region_code).where(Grid.region_code.startswith(region_code))
        villages = [c for c in s.scalars(q) if region_level(c) == "village"]
    codes = sorted(set(villages))
    stray = [c for c in codes if region_level(c) != "village" or not c.startswith(region_code)]
    if stray:
        raise CampaignError("patrols.campaign_village", village=stray[0], region=region_code)
    if not codes:
        raise CampaignError("patrols.campaign_empty", region=region_code)
    c = Campaign(
        name=name,
        region_code=region_code,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=who,
        created_at=now,
    )
    s.add(c)
    s.flush()
    s.add_all(CampaignVillage(campaign_id=c.id, village_code=v, status=PENDING) for v in codes)
    s.flush()
    return c


def _village(s: Session, campaign_id: int, village_code: str) -> CampaignVillage | None:
    return s.get(CampaignVillage, (campaign_id, village_code))


def mark_started(s: Session, campaign_id: int, village_code: str) -> None:
    """A patrol of the campaign reached the village (a village outside it is refused)."""
    v = _village(s, campaign_id, village_code)
    if v is None:
        raise CampaignError("patrols.not_in_campaign", village=village_code, campaign=campaign_id)
    if v.status == PENDING:
        v.status = STARTED


def mark_done(s: Session, campaign_id: int, village_code: str, who: str, now: datetime) -> None:
    """The village's sweep is signed off (it must have been patrolled first)."""
    v = _village(s, campaign_id, village_code)
    if v is None:
        raise CampaignError("patrols.not_in_campaign", village=village_code, campaign=campaign_id)
    if v.status == PENDING:
        raise CampaignError("patrols.not_patrolled", village=village_code)
    v.status, v.done_by, v.done_at = DONE, who, now


@dataclass(frozen=True)
class VillageProgress:
    village_code: str
    status: str
    patrols: int
    households_seen: int
    loose_coal_found: int


@dataclass(frozen=True)
class Progress:
    campaign: Campaign
    villages: list[VillageProgress]

    @property
    def done(self) -> int:
        return sum(v.status == DONE for v in self.villages)

    @property
    def started(self) -> int:
        return sum(v.status == STARTED for v in self.villages)

    @property
    def share_done(self) -> float:
        return self.done / len(self.villages) if self.villages else 0.0


def progress(s: Session, campaign: Campaign, region_prefix: str = "") -> Progress:
    """The campaign's villages (those under ``region_prefix``) with their counts."""
    q = select(
        PatrolRecord.region_code,
        func.count(PatrolRecord.id),
        func.coalesce(func.sum(PatrolRecord.households_seen), 0),
        func.count(PatrolRecord.id).filter(PatrolRecord.loose_coal_found.is_(True)),
    ).where(PatrolRecord.campaign_id == campaign.id)
    counts = {
        code: (n, h, lc) for code, n, h, lc in s.execute(q.group_by(PatrolRecord.region_code))
    }
    rows = s.scalars(
        select(CampaignVillage)
        .where(
            CampaignVillage.campaign_id == campaign.id,
            CampaignVillage.village_code.startswith(region_prefix),
        )
        .order_by(CampaignVillage.village_code)
    )
    villages = [
        VillageProgress(v.village_code, v.status, *counts.get(v.village_code, (0, 0, 0)))
        for v in rows
    ]
    return Progress(campaign, villages)
