"""One card of the live alarm board: an active CO alarm and everything an operator acts on.

The household (name masked unless the caller may see personal data), its
address and the people to call (the contact directory, phones masked), the CO
ppm history since shortly before the alarm, who was notified when by which
channel and how far each message got (the rows of the alarm page,
``dashboard/pages.py``), and whether this user may acknowledge.
Plain values only: ``templates/dashboard/_board.html`` renders them, in the
user's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from coalguard.cloud.access import ALERT_ACTORS
from coalguard.cloud.alert_lifecycle import OPEN, alert_ref
from coalguard.cloud.auth import Operator
from coalguard.cloud.charts import LinePlot, co_line
from coalguard.cloud.co.alerts import NO_RECIPIENT
from coalguard.cloud.co.readings import co_history
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoNotification
from coalguard.cloud.contacts.directory import ROLE_LEVEL
from coalguard.cloud.contacts.rota import on_duty
from coalguard.cloud.contacts.tables import Contact as DirectoryContact
from coalguard.cloud.dashboard.pages import NotifiedRow, notified_rows
from coalguard.cloud.privacy import mask_name
from coalguard.cloud.scope import ancestor, region_level

ALARM = "co_alarm"
# The chart starts this long before the alarm opened: the rise that led to it.
CHART_BEFORE = timedelta(minutes=30)
CHART_POINTS = 720


@dataclass(frozen=True)
class Contact:
    """Someone to call about the household; ``role`` names a ``board.role_*`` word."""

    role: str
    name: str
    phone: str


@dataclass(frozen=True)
class AlarmCard:
    id: str  # the public alert id, ``co-12``
    device_id: str
    village: str
    status: str
    opened_at: datetime
    updated_at: datetime
    occurrences: int
    escalation_level: int
    co_ppm: float | None
    household: str
    address: str
    contacts: tuple[Contact, ...]
    plot: LinePlot | None
    notices: tuple[NotifiedRow, ...]
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    can_ack: bool

    @property
    def plot_id(self) -> str:
        return f"plot-{self.id}"


# The messages a person reads about: each one to a person of the directory, and the
# steps that had nobody on file (never silent); the broadcast feed (webhook, log) is not.
PERSON_ROWS = or_(CoNotification.contact_id.is_not(None), CoNotification.status == NO_RECIPIENT)


def notices_of(
    s: Session, region_of: dict[int, str], op: Operator
) -> dict[int, tuple[NotifiedRow, ...]]:
    """Each alert's messages to people in the order they were written (one indexed query);
    ``region_of``: alert id -> its region (the "nobody on file" line names it)."""
    if not region_of:
        return {}
    q = (
        select(CoNotification)
        .where(CoNotification.alert_id.in_(region_of), PERSON_ROWS)
        .order_by(CoNotification.id)
    )
    out: dict[int, list[NotifiedRow]] = {i: [] for i in region_of}
    for n, row in zip(rows := list(s.scalars(q)), notified_rows(rows, region_of, op), strict=True):
        out[n.alert_id].append(row)
    return {k: tuple(v) for k, v in out.items()}


def contacts_of(
    s: Session, dev: CoDevice | None, village: str, now: datetime, sees_personal_data: bool
) -> tuple[Contact, ...]:
    """Who may be called about this alarm, in the escalation's order: the household's
    contacts, the village's grid workers, committee members and inspector, the township
    officers on duty now, the county desk (the directory, ``cloud/contacts``). Phones are
    shown masked; names masked unless the caller may see personal data."""
    rows: list[DirectoryContact] = []
    if dev is not None:
        rows += s.scalars(
            select(DirectoryContact)
            .where(
                DirectoryContact.device_id == dev.device_id,
                DirectoryContact.role == "household",
                DirectoryContact.active,
            )
            .order_by(DirectoryContact.id)
        )
    holders = {
        role: ancestor(village, level)
        for role, level in ROLE_LEVEL.items()
        if role not in ("household", "township_duty") and region_level(village) == "village"
    }
    if holders:
        found = s.scalars(
            select(DirectoryContact)
            .where(
                or_(
                    *(
                        and_(DirectoryContact.role == role, DirectoryContact.region_code == region)
                        for role, region in holders.items()
                    )
                ),
                DirectoryContact.active,
            )
            .order_by(DirectoryContact.id)
        )
        by_role: dict[str, list[DirectoryContact]] = {}
        for c in found:
            by_role.setdefault(c.role, []).append(c)
        for role in ROLE_LEVEL:
            if role == "township_duty" and region_level(village) == "village":
                rows += on_duty(s, ancestor(village, "township"), now)
            rows += by_role.get(role, [])
    out = [
        Contact(c.role, c.name if sees_personal_data else mask_name(c.name), c.phone_masked)
        for c in rows
    ]
    if not out and dev is not None and dev.phone_masked:  # registered before the directory
        out.append(Contact("household", household_name(dev, sees_personal_data), dev.phone_masked))
    return tuple(out)


def household_name(dev: CoDevice | None, sees_personal_data: bool) -> str:
    name = (dev.household_name if dev else None) or ""
    return name if sees_personal_data else mask_name(name)


def _ppm(detail: dict[str, Any]) -> float | None:
    v = (detail or {}).get("co_ppm")
    return float(v) if isinstance(v, int | float) else None


def cards(
    s: Session,
    alerts: list[CoAlert],
    op: Operator,
    now: datetime,
    notices: dict[int, tuple[NotifiedRow, ...]] | None = None,
) -> list[AlarmCard]:
    """A card per alert, in the order given (``notices``: already read by the caller);
    ``now``: whose duty shift counts."""
    if notices is None:
        notices = notices_of(s, {a.id: a.region_code for a in alerts}, op)
    devices = {
        d.device_id: d
        for d in s.scalars(
            select(CoDevice).where(CoDevice.device_id.in_({a.device_id for a in alerts}))
        )
    }
    acts = op.role in ALERT_ACTORS
    out = []
    for a in alerts:
        dev = devices.get(a.device_id)
        points = co_history(s, a.device_id, a.opened_at - CHART_BEFORE, CHART_POINTS)
        out.append(
            AlarmCard(
                id=alert_ref(a),
                device_id=a.device_id,
                village=a.region_code,
                status=a.status,
                opened_at=a.opened_at,
                updated_at=a.updated_at,
                occurrences=a.occurrences,
                escalation_level=a.escalation_level,
                co_ppm=_ppm(a.detail),
                household=household_name(dev, op.sees_personal_data) or "—",
                address=(dev.address if dev else None) or "—",
                contacts=contacts_of(s, dev, a.region_code, now, op.sees_personal_data),
                plot=co_line(points, width=520, height=170) if len(points) > 1 else None,
                notices=notices.get(a.id, ()),
                acknowledged_by=a.acknowledged_by,
                acknowledged_at=a.acknowledged_at,
                can_ack=acts and a.status == OPEN,
            )
        )
    return out
