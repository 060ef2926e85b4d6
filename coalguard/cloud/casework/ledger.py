"""The issue ledger (问题台账, R24): each problem owned by a region, due by a local day,
open until closed. An item past its deadline raises one alert (the market alert table
and the one lifecycle, ``cloud/alert_lifecycle.py`` ``raise_or_recur``): the sweep
claims the item with a conditional update first, so two sweepers never raise it twice.
Major and joint items go up a level by the rule in ``rules.toml`` (with its citation)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coalguard.cloud.casework.rules import CaseworkRules
from coalguard.cloud.casework.tables import LedgerItem
from coalguard.cloud.market.alerts import clear_market_alert, raise_market_alert
from coalguard.cloud.market.sales import local_day
from coalguard.errors import WordedValueError

OPEN, CLOSED = "open", "closed"
OVERDUE_KIND = "ledger.item_overdue"


class LedgerError(WordedValueError):
    """What the ledger refuses, worded from the ``[ledger]`` catalog table."""

    section = "ledger"


def _note(item: LedgerItem, action: str, by: str, at: datetime, **detail: Any) -> None:
    item.history = [*item.history, {"action": action, "by": by, "at": at.isoformat(), **detail}]


def add_item(
    s: Session,
    rules: CaseworkRules,
    *,
    region_code: str,
    title: str,
    deadline: date,
    by: str,
    now: datetime,
    detail: str = "",
    major: bool = False,
    joint: bool = False,
    case_id: int | None = None,
    tip_id: int | None = None,
) -> LedgerItem:
    """A new item; one the rule sends up (major, joint) starts at the level above."""
    level = rules.level_of(region_code)
    if level is None:
        raise LedgerError("region_level", region=region_code)
    if not title.strip():
        raise LedgerError("title_missing")
    if deadline < local_day(now):
        raise LedgerError("deadline_past", deadline=deadline)
    item = LedgerItem(
        region_code=region_code,
        level=level,
        title=title.strip()[:300],
        detail=detail.strip()[:4000],
        case_id=case_id,
        tip_id=tip_id,
        major=major,
        joint=joint,
        deadline=deadline,
        status=OPEN,
        overdue_alerted=False,
        history=[],
        opened_by=by,
        opened_at=now,
    )
    _note(item, "opened", by, now, region=region_code)
    s.add(item)
    s.flush()
    if rules.goes_up(major=major, joint=joint):
        escalate(s, item, rules, by, now, up=rules.escalation.levels_up, by_rule=True)
    return item


def escalate(
    s: Session,
    item: LedgerItem,
    rules: CaseworkRules,
    by: str,
    now: datetime,
    *,
    up: int = 1,
    by_rule: bool = False,
) -> LedgerItem:
    """The item goes to the region ``up`` levels above (village → township → county → city)."""
    if item.status != OPEN:
        raise LedgerError("closed", item=item.id)
    parent = rules.parent(item.region_code, up)
    if parent is None:
        raise LedgerError("top_level", item=item.id)
    region, level = parent
    detail: dict[str, Any] = {"from": item.region_code, "to": region}
    if by_rule:
        detail["rule"] = rules.escalation.citation
    item.region_code, item.level = region, level
    _note(item, "escalated", by, now, **detail)
    s.flush()
    return item


def close_item(s: Session, item: LedgerItem, by: str, now: datetime, note: str = "") -> LedgerItem:
    """Closed (销号): its overdue alert, if any, is marked cleared for a person to resolve."""
    if item.status != OPEN:
        raise LedgerError("closed", item=item.id)
    item.status, item.closed_by, item.closed_at = CLOSED, by, now
    _note(item, "closed", by, now, note=note.strip()[:2000])
    clear_market_alert(s, OVERDUE_KIND, subject(item), now)
    s.flush()
    return item


def subject(item: LedgerItem) -> str:
    return f"ledger-{item.id}"


def sweep_overdue(s: Session, now: datetime) -> int:
    """One alert per open item past its deadline (local day); how many this sweep raised.
    Each item is claimed by a conditional update: a second sweeper claims nothing."""
    today = local_day(now)
    due = select(LedgerItem.id).where(
        LedgerItem.status == OPEN,
        LedgerItem.deadline < today,
        LedgerItem.overdue_alerted.is_(False),
    )
    n = 0
    for item_id in list(s.scalars(due)):
        claimed = s.execute(
            update(LedgerItem)
            .where(LedgerItem.id == item_id, LedgerItem.overdue_alerted.is_(False))
            .values(overdue_alerted=True)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        item = s.get(LedgerItem, item_id)
        assert item is not None
        s.refresh(item)
        raise_market_alert(
            s,
            kind=OVERDUE_KIND,
            subject=subject(item),
            region_code=item.region_code,
            message=f"ledger item {item.id} overdue since {item.deadline}: {item.title}",
            at=now,
            detail={"item_id": item.id, "deadline": str(item.deadline), "level": item.level},
        )
        n += 1
    return n


def items_in(s: Session, region: str, status: str | None = None) -> list[LedgerItem]:
    q = select(LedgerItem).where(LedgerItem.region_code.startswith(region))
    if status:
        q = q.where(LedgerItem.status == status)
    return list(s.scalars(q.order_by(LedgerItem.deadline, LedgerItem.id)))
