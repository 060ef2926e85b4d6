"""Open, remind and acknowledge referral cases, inside the caller's transaction.

``open_case`` runs in the projector's transaction (the one that marks the
failing ``lab.reported`` record projected), so the case, its packet and its
first messages commit together and once: a second replica finds the record
projected, and the unique ``lab_sample_id`` refuses a second case anyway.
Messages are ``ReferralMessage`` rows, sent afterwards by the CO notifier
(claimed, retried, each sent once). ``remind_due`` runs in the checks sweep,
under its lease: an unacknowledged case is announced again every ``repeat``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.checks.chunk import PlainInspection
from coalguard.cloud.checks.queries import indicator_verdicts
from coalguard.cloud.checks.tables import (
    Checkpoint,
    Inspection,
    LabSample,
    RegionOffice,
    Transition,
    VerdictRow,
)
from coalguard.cloud.referrals.tables import ReferralCase, ReferralMessage
from coalguard.edge.plain import iso_or_none, plain
from coalguard.edge.quality.compare import side_by_side

OPEN, ACKNOWLEDGED = "open", "acknowledged"
STATUSES = (OPEN, ACKNOWLEDGED)


@dataclass(frozen=True)
class ReferralPolicy:
    """Where a case is announced and how often again until the office acknowledges it."""

    channels: tuple[str, ...] = ("log",)
    repeat: timedelta = timedelta(hours=4)


class AlreadyAcknowledged(Exception):
    """The case was acknowledged before (by whom, when: on the case)."""


def open_case(
    s: Session,
    policy: ReferralPolicy,
    *,
    cp: Checkpoint,
    lab: LabSample,
    insp: Inspection | PlainInspection | None,
    lab_verdict: VerdictRow,
    office: RegionOffice | None,
    at: datetime,
) -> ReferralCase:
    """The lab sample's case: opened and announced now, or the one opened before."""
    found = s.scalars(select(ReferralCase).where(ReferralCase.lab_sample_id == lab.id)).first()
    if found is not None:
        return found
    case = ReferralCase(
        lab_sample_id=lab.id,
        inspection_id=lab.inspection_id,
        checkpoint_id=cp.checkpoint_id,
        region_code=cp.region_code,
        plate=insp.plate if insp else None,
        office=f"{office.name} {office.contact}" if office else None,
        status=OPEN,
        opened_at=at,
        reminders=0,
        next_reminder_at=at + policy.repeat,
        packet={},
    )
    s.add(case)
    s.flush()  # the id goes into the packet
    case.packet = packet(s, case, cp, lab, insp, lab_verdict)
    _announce(s, policy, case, "opened", at)
    return case


def remind_due(s: Session, policy: ReferralPolicy, now: datetime) -> int:
    """Announce again every open case whose reminder is due; returns how many."""
    n = 0
    for case in s.scalars(
        select(ReferralCase).where(
            ReferralCase.status == OPEN, ReferralCase.next_reminder_at <= now
        )
    ):
        case.reminders += 1
        case.next_reminder_at = now + policy.repeat
        _announce(s, policy, case, "reminder", now)
        n += 1
    return n


def acknowledge(case: ReferralCase, by: str, at: datetime, note: str | None) -> None:
    """The office has the case: reminders stop."""
    if case.status == ACKNOWLEDGED:
        raise AlreadyAcknowledged(f"case {case.id} was acknowledged by {case.acknowledged_by}")
    case.status = ACKNOWLEDGED
    case.acknowledged_by = by
    case.acknowledged_at = at
    case.ack_note = note
    case.next_reminder_at = None


def _announce(
    s: Session, policy: ReferralPolicy, case: ReferralCase, reason: str, at: datetime
) -> None:
    body = {
        **case.packet,
        "reason": reason,
        "reminder": case.reminders,
        "summary": _summary(case, reason),
    }
    for channel in policy.channels:
        s.add(ReferralMessage.queued(channel, body, at, case_id=case.id, reason=reason))


def _summary(case: ReferralCase, reason: str) -> str:
    """One line for the log channel (logs are in English)."""
    lab = case.packet.get("lab", {})
    again = f" (reminder {case.reminders}, not yet acknowledged)" if reason == "reminder" else ""
    return (
        f"lab referral case {case.id}{again}: report {lab.get('report_no')} of "
        f"{case.plate or case.lab_sample_id} at {case.checkpoint_id} fails "
        f"{lab.get('profile_id')} v{lab.get('profile_version')}; "
        f"to {case.office or 'the air-pollution office'}"
    )


def packet(
    s: Session,
    case: ReferralCase,
    cp: Checkpoint,
    lab: LabSample,
    insp: Inspection | PlainInspection | None,
    lab_verdict: VerdictRow,
) -> dict[str, Any]:
    """What the office receives: the inspection, both verdicts side by side, the
    turn-back notice and the custody times of the sample."""
    rapid: VerdictRow | None = None
    notice: Transition | None = None
    if insp is not None:
        rapid = s.scalars(
            select(VerdictRow)
            .where(VerdictRow.inspection_id == insp.id, VerdictRow.source == "rapid")
            .order_by(VerdictRow.at.desc())
        ).first()
        notice = s.scalars(
            select(Transition)
            .where(Transition.inspection_id == insp.id, Transition.action == "turn_back")
            .order_by(Transition.seq.desc())
        ).first()
    pairs = side_by_side(indicator_verdicts(rapid), indicator_verdicts(lab_verdict))
    return {
        "case_id": case.id,
        "kind": "lab_referral",
        "to": case.office,
        "checkpoint": {"id": cp.checkpoint_id, "name": cp.name, "region_code": cp.region_code},
        "inspection": None if insp is None else plain(insp, _INSPECTION_FACTS, iso=("opened_at",)),
        "rapid": None if rapid is None else _verdict(rapid),
        "lab": {
            **_verdict(lab_verdict),
            **plain(lab, ("report_no", "lab_name", "sample_id", "seal_no", "cloud_overall")),
        },
        "indicators": [p.model_dump(mode="json") for p in pairs],
        "notice": None
        if notice is None
        else {"record_id": notice.id, **plain(notice, _NOTICE_FACTS, iso=("at",))},
        "custody": {
            "sampled_at": iso_or_none(lab.sampled_at),
            "handed_over_at": iso_or_none(lab.dispatched_at),
            "received_at": iso_or_none(lab.received_at),
            "reported_at": iso_or_none(lab.reported_at),
        },
    }


# What the office reads of the inspection and of the turn-back notice.
_INSPECTION_FACTS = (
    "id",
    "plate",
    "origin",
    "destination",
    "coal_type",
    "weight_t",
    "waybill_no",
    "opened_at",
)
_NOTICE_FACTS = ("inspection_id", "seq", "at", "operator", "reason")


def _verdict(v: VerdictRow) -> dict[str, Any]:
    return {
        "overall": v.overall,
        "profile_id": v.profile_id,
        "profile_version": v.profile_version,
        "at": iso_or_none(v.at),
    }
