"""A person reached about a CO alarm takes it on: by the one-time link or an SMS reply.

Both end in ``alerts.acknowledge`` (the one lifecycle; the escalation stops and
what is pending is cancelled), recording the contact as who, the way as how,
and on the link what they said they did (on site / called the household). The
dashboard's acknowledgement is the third way (``api/routes/alerts.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.co.ack_links import AckLinks
from coalguard.cloud.co.alerts import acknowledge
from coalguard.cloud.co.directory import Directory
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoNotification
from coalguard.cloud.privacy import normalize_phone

ACTIONS = ("arrived", "contacted")  # 我已到场 / 我已联系住户
Outcome = Literal["acknowledged", "already", "expired", "unknown"]


@dataclass(frozen=True)
class LinkView:
    """What the link's page shows: the alarm, the household, and whether it is still open."""

    token: str
    alert_id: int
    who: str | None
    name: str | None
    household: str | None
    address: str | None
    region_code: str
    co_ppm: float | None
    opened_at: datetime
    status: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledged_via: str | None
    expired: bool

    @property
    def open(self) -> bool:
        return self.status == lifecycle.OPEN and not self.expired


def _co_ppm(alert: CoAlert, dev: CoDevice | None) -> float | None:
    for source in (alert.detail or {}, (dev.last_state or {}) if dev else {}):
        v = source.get("co_ppm")
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    return None


def _found(s: Session, links: AckLinks, token: str) -> tuple[CoNotification, CoAlert] | None:
    nid = links.notification_id(token)
    row = s.get(CoNotification, nid) if nid is not None else None
    if row is None or row.contact_id is None:
        return None
    return row, s.get_one(CoAlert, row.alert_id)


def link_view(s: Session, links: AckLinks, token: str, now: datetime) -> LinkView | None:
    """The page of a link; None when the token names nothing (or is forged)."""
    found = _found(s, links, token)
    if found is None:
        return None
    row, alert = found
    dev = s.get(CoDevice, alert.device_id)
    person: dict[str, Any] = (row.body or {}).get("recipient") or {}
    return LinkView(
        token=token,
        alert_id=alert.id,
        who=row.who,
        name=person.get("name"),
        household=dev.household_name if dev else None,
        address=dev.address if dev else None,
        region_code=alert.region_code,
        co_ppm=_co_ppm(alert, dev),
        opened_at=alert.opened_at,
        status=alert.status,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_via=alert.acknowledged_via,
        expired=links.expired(row.created_at, now),
    )


def _take_on(
    s: Session, row: CoNotification, alert: CoAlert, via: str, now: datetime, **said: Any
) -> None:
    person = (row.body or {}).get("recipient") or {}
    who = person.get("name") or f"contact {row.contact_id}"
    acknowledge(s, alert, who, via, now)
    alert.detail = {
        **(alert.detail or {}),
        "acknowledged_contact": {"contact_id": row.contact_id, "who": row.who, **said},
    }


def ack_by_link(s: Session, links: AckLinks, token: str, action: str, now: datetime) -> Outcome:
    """The link's form was posted: acknowledge as its person, once."""
    found = _found(s, links, token)
    if found is None or action not in ACTIONS:
        return "unknown"
    row, alert = found
    if alert.status != lifecycle.OPEN:
        return "already"
    if links.expired(row.created_at, now):
        return "expired"
    _take_on(s, row, alert, lifecycle.LINK, now, action=action, notification_id=row.id)
    return "acknowledged"


def _digits(phone: str) -> str:
    """A mobile number as its national digits (a reply may name it as 86… or +86…)."""
    d = "".join(c for c in normalize_phone(phone) if c.isdigit())
    return d[2:] if len(d) == 13 and d.startswith("86") else d


_CODE = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def ack_by_reply(
    s: Session, directory: Directory | None, mobile: str, text: str, now: datetime
) -> Outcome:
    """An SMS reply: its code names a message sent to the same phone about an open alarm."""
    m = _CODE.search(text or "")
    phone = _digits(mobile or "")
    if m is None or not phone or directory is None:
        return "unknown"
    q = (
        select(CoNotification, CoAlert)
        .join(CoAlert, CoAlert.id == CoNotification.alert_id)
        .where(CoNotification.reply_code == m.group(1), CoNotification.contact_id.is_not(None))
        .order_by(CoNotification.id.desc())
        .limit(50)
    )
    already = False
    for row, alert in s.execute(q).all():
        person = directory.person(s, row.contact_id or "")
        if person is None or _digits(person[1] or "") != phone:
            continue  # a code is only good from the phone it was sent to
        if alert.status != lifecycle.OPEN:
            already = True
            continue
        _take_on(s, row, alert, lifecycle.SMS_REPLY, now, notification_id=row.id)
        return "acknowledged"
    return "already" if already else "unknown"
