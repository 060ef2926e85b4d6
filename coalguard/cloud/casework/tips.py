"""Rewarded tips (有奖举报, R24): received with their channel and the tipster's contact
sealed, traced (source, sale destination), passed to other regions (one notice per
region), turned into a case (``cloud/market/cases.py``, the one home of cases), and
the reward decided: approved only once the tip's case is closed (the tip was borne
out), then paid; or refused."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.casework.rules import CaseworkRules
from coalguard.cloud.casework.tables import Tip, TipNotice
from coalguard.cloud.market import cases
from coalguard.cloud.market.cases import CaseSubject
from coalguard.cloud.market.sales_rules import SalesRules
from coalguard.cloud.market.sales_tables import Case
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.privacy import mask_phone, normalize_phone
from coalguard.cloud.sealing import Keyring, purpose_of
from coalguard.errors import WordedValueError

CONTACT_PURPOSE = purpose_of(Tip, "contact_sealed")


class TipError(WordedValueError):
    """What the tip desk refuses, worded from the ``[tips]`` catalog table."""

    section = "tips"


def record_tip(
    s: Session,
    rules: CaseworkRules,
    keyring: Keyring,
    *,
    region_code: str,
    channel: str,
    content: str,
    contact: str,
    source: str,
    destination: str,
    by: str,
    now: datetime,
) -> Tip:
    """A tip received: the contact is sealed and only its mask is kept readable."""
    if channel not in rules.channels:
        raise TipError("channel_unknown", value=channel, known=", ".join(rules.channels))
    if not content.strip():
        raise TipError("content_missing")
    contact = normalize_phone(contact)
    tip = Tip(
        region_code=region_code,
        channel=channel,
        content=content.strip()[:4000],
        contact_sealed=keyring.seal(contact, CONTACT_PURPOSE) if contact else None,
        contact_masked=mask_phone(contact)[:40] if contact else "",
        source=source.strip()[:300],
        destination=destination.strip()[:300],
        reward_status=rules.reward.statuses[0],
        received_by=by,
        received_at=now,
        updated_at=now,
    )
    s.add(tip)
    s.flush()
    return tip


def notify_region(
    s: Session, tip: Tip, region_code: str, note: str, by: str, now: datetime
) -> TipNotice:
    """The region where the coal came from or went to is told (及时通报相关区域): once."""
    if region_code == tip.region_code:
        raise TipError("notify_self", region=region_code)
    known = s.scalars(
        select(TipNotice).where(TipNotice.tip_id == tip.id, TipNotice.region_code == region_code)
    ).first()
    if known is not None:
        raise TipError("notified_already", region=region_code)
    row = TipNotice(
        tip_id=tip.id,
        region_code=region_code,
        note=note.strip()[:2000],
        notified_by=by,
        notified_at=now,
    )
    s.add(row)
    s.flush()
    return row


def notices_of(s: Session, tip_id: int) -> list[TipNotice]:
    q = select(TipNotice).where(TipNotice.tip_id == tip_id).order_by(TipNotice.id)
    return list(s.scalars(q))


def open_case_from_tip(
    s: Session,
    tip: Tip,
    rules: SalesRules,
    *,
    subject_kind: str,
    subject_ref: str,
    violation: str,
    deadline: date | None,
    by: str,
    now: datetime,
) -> Case:
    """The tip's case, at 限期整改 with its rectification deadline; one case per tip.
    A point is named by its code; other subjects by their reference."""
    if tip.case_id is not None:
        raise TipError("has_case", case=tip.case_id)
    if subject_kind == "point":
        point = s.scalars(select(BusinessPoint).where(BusinessPoint.code == subject_ref)).first()
        if point is None or not point.region_code.startswith(tip.region_code[:6]):
            raise TipError("point_unknown", point=subject_ref)
        subject = CaseSubject.of_point(point)
    else:
        subject = CaseSubject(subject_kind, tip.region_code, subject_ref.strip())
    case = cases.open_case_on(
        s,
        subject,
        rules,
        violation=violation,
        by=by,
        now=now,
        origin="tip",
        summary=tip.content,
        deadline=deadline,
    )
    tip.case_id, tip.updated_at = case.id, now
    s.flush()
    return case


def set_reward(
    s: Session, tip: Tip, rules: CaseworkRules, status: str, note: str, now: datetime
) -> Tip:
    """Move the reward along ``rules.reward.moves``; approval needs the tip's case closed."""
    if status not in rules.reward.moves.get(tip.reward_status, []):
        raise TipError("reward_move", current=tip.reward_status, wanted=status)
    if status == "approved":
        case = s.get(Case, tip.case_id) if tip.case_id is not None else None
        if case is None or case.status != cases.CLOSED:
            raise TipError("reward_needs_closed_case")
    tip.reward_status, tip.updated_at = status, now
    if note.strip():
        tip.reward_note = note.strip()[:2000]
    s.flush()
    return tip


def tips_in(s: Session, region: str) -> list[Tip]:
    q = select(Tip).where(Tip.region_code.startswith(region)).order_by(Tip.id.desc())
    return list(s.scalars(q))
