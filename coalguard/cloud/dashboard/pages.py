"""View models of the dashboard pages: plain values the templates show.

No words and no tags here: ``templates/dashboard/`` renders these in the
user's language, and times go through the ``local`` filter (Asia/Shanghai).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coalguard.cloud.access import ALERT_ACTORS
from coalguard.cloud.auth import Operator
from coalguard.cloud.privacy import mask_name
from coalguard.cloud.referrals.tables import ReferralCase


@dataclass(frozen=True)
class AlertRow:
    """One alert of the unified list, with what this user may do to it."""

    id: str
    source: str  # co | checkpoint
    kind: str
    severity: str
    status: str
    device_id: str | None
    checkpoint_id: str | None
    subject: str
    region_code: str
    opened_at: datetime | str | None
    escalation_level: int
    can_ack: bool
    can_resolve: bool
    detail: dict[str, Any] = field(default_factory=dict)  # an area outage's count and level


def alert_rows(alerts: list[dict[str, Any]], op: Operator) -> list[AlertRow]:
    """The unified alert dicts as rows; actions only for roles that may act."""
    acts = op.role in ALERT_ACTORS
    return [
        AlertRow(
            id=a["id"],
            source=a["source"],
            kind=a["kind"],
            severity=a["severity"],
            status=a["status"],
            device_id=a.get("device_id"),
            checkpoint_id=a.get("checkpoint_id"),
            subject=a.get("subject") or "",
            region_code=a["region_code"],
            opened_at=a["opened_at"],
            escalation_level=a["escalation_level"],
            can_ack=acts and a["status"] == "open",
            can_resolve=acts and a["status"] != "resolved",
            detail=a.get("detail") or {},
        )
        for a in alerts
    ]


@dataclass(frozen=True)
class NotifiedRow:
    """One message of a CO alarm's escalation to one person (or: nobody on file)."""

    alert_id: str
    at: datetime
    step: int | None
    attempt: int
    who: str | None
    name: str | None  # masked unless the user may see names
    channel: str
    status: str  # pending | sent | failed | cancelled | no_recipient
    delivery_state: str | None  # sent | delivered | undelivered | failed (the receipt)
    region_code: str


def notified_rows(rows: list[Any], region_of: dict[int, str], op: Operator) -> list[NotifiedRow]:
    """The person-addressed notification rows (``CoNotification``) of an alarm's alerts."""
    out = []
    for n in rows:
        name = ((n.body or {}).get("recipient") or {}).get("name")
        out.append(
            NotifiedRow(
                alert_id=f"co-{n.alert_id}",
                at=n.sent_at or n.created_at,
                step=n.step,
                attempt=n.attempt,
                who=n.who,
                name=name if not name or op.sees_personal_data else mask_name(name),
                channel=n.channel,
                status=n.status,
                delivery_state=n.delivery_state,
                region_code=region_of.get(n.alert_id, ""),
            )
        )
    return out


@dataclass(frozen=True)
class ReferralRow:
    """One referral case as the list shows it: the truck, both verdicts, the office's answer."""

    id: int
    plate: str
    checkpoint_id: str
    report_no: str
    rapid_overall: str | None
    lab_overall: str | None
    profile: str
    office: str | None
    opened_at: datetime
    reminders: int
    status: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None


def referral_row(c: ReferralCase) -> ReferralRow:
    packet = c.packet or {}
    lab = packet.get("lab") or {}
    rapid = packet.get("rapid") or {}
    return ReferralRow(
        id=c.id,
        plate=c.plate or c.lab_sample_id,
        checkpoint_id=c.checkpoint_id,
        report_no=lab.get("report_no") or "",
        rapid_overall=rapid.get("overall"),
        lab_overall=lab.get("overall"),
        profile=f"{lab.get('profile_id')} v{lab.get('profile_version')}",
        office=c.office,
        opened_at=c.opened_at,
        reminders=c.reminders,
        status=c.status,
        acknowledged_by=c.acknowledged_by,
        acknowledged_at=c.acknowledged_at,
    )


@dataclass(frozen=True)
class Kpi:
    """A labelled figure; ``label`` is a catalog key."""

    label: str
    value: Any
    crit: bool = False


@dataclass(frozen=True)
class Chrome:
    """What the base layout needs: who is signed in, where we are, the other language."""

    lang: str
    here: str
    op_name: str | None = None
    region: str | None = None  # None: nationwide

    @property
    def other_lang(self) -> str:
        return "en" if self.lang == "zh" else "zh"
