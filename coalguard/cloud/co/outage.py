"""Correlated outages: many alarms of one area silent at once are one incident.

A power cut or a network outage in a village silences every alarm there within
a heartbeat or two; a broker outage on our side silences all of them. One
alert per alarm would bury the operators (and the one real CO alarm among
them), so the sweep asks, when an alarm's own silence falls due, whether its
area is out: the broadest area of ``[outage]`` (``alert_rules.toml``: township
= 9-digit prefix, then village = 12-digit code) with ``min_count`` alarms and
``min_share`` of its watched alarms not heard for ``window_s``. If so it opens
ONE ``area_outage`` alert (the one lifecycle) naming the area and the count,
tells the area's people once, and records its alarms in ``co_outage_member``
(flagged ``silent_alerted``, so no alert of their own). Nobody heard at all for
``window_s``, or co-ingest's broker connection down (``probe``), is our side
blind: one incident for the whole region (``region_code`` ""), cause named.

An alarm whose last will said "offline" counts like a silent one from that
moment (``offline_at``, set by ingest instead of an alert): a power cut drops
a village's connections, and the broker sends their wills within a minute or
two. ``offline_grace_s`` after its will (``held``), the alarm joins its area's
incident if the area is out, else it gets its own offline alert; while an
incident is open, later wills of its area join it at the next sweep.

The incident resolves itself once ``recovered_share`` of its alarms are heard
again (a state, or "online"; blind: once anything is heard and the broker is
back); ``grace_s`` after it is resolved, its alarms still not heard get their
own offline alerts.

Every step is a bounded batch in the sweep's leased, gated transaction
(``sweeper.py``): ingest waits at most one batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, func, select, true, update
from sqlalchemy.orm import Session

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.alert_lifecycle import ACTIVE, RESOLVED, alert_ref
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.rules import OUTAGE_KIND, Outage, OutageArea, Rule
from coalguard.cloud.co.store import dialect_insert
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoOutageMember
from coalguard.cloud.scope import LEVEL_DIGITS

BLIND = ""  # the region of an incident of our own side: everything
NO_MESSAGES, BROKER_DISCONNECTED = "no_messages", "broker_disconnected"

Probe = Callable[[], str | None]  # a cause when this process cannot hear the alarms


def in_area(code: str):  # type: ignore[no-untyped-def]
    """Alarms of the area ``code`` (a prefix): a range on ``ix_co_device_area_silence``."""
    if code == BLIND:
        return true()
    if len(code) == LEVEL_DIGITS["village"]:
        return CoDevice.region_code == code
    return and_(CoDevice.region_code >= code, CoDevice.region_code < code + ":")  # ':' > '9'


def _silent_in(code: str, since: datetime):  # type: ignore[no-untyped-def]
    """Not yet alerted or counted and not heard since ``since``: ``ix_co_device_area_silence``."""
    return and_(in_area(code), CoDevice.silent_alerted.is_(False), CoDevice.last_heard_at < since)


def _held_in(code: str, since: datetime):  # type: ignore[no-untyped-def]
    """Not yet alerted or counted, heard since ``since`` but its last will held
    (``ix_co_device_offline_held``); those not heard are among ``_silent_in`` already."""
    return and_(
        in_area(code),
        CoDevice.offline_at.is_not(None),
        CoDevice.silent_alerted.is_(False),
        CoDevice.last_heard_at >= since,
    )


def suspects(s: Session, code: str, since: datetime, limit: int) -> list[str]:
    """Up to ``limit`` of the area's alarms lost (silent, or their last will held) and not
    yet alerted or counted: two index reads, not one OR that no index serves."""
    q = select(CoDevice.device_id)
    # Held wills first: few rows when there are none, and when a power cut holds them the
    # batch fills from them without a read of the whole area for silent ones.
    found = list(s.scalars(q.where(_held_in(code, since)).limit(limit)))
    if len(found) < limit:
        found += s.scalars(q.where(_silent_in(code, since)).limit(limit - len(found)))
    return found


def held(before: datetime, limit: int) -> Select[tuple[CoDevice]]:
    """Alarms whose last will, held back, came before ``before``: decided now, oldest
    first (``ix_co_device_offline_held``)."""
    return (
        select(CoDevice)
        .where(CoDevice.offline_at < before)
        .order_by(CoDevice.offline_at)
        .limit(limit)
    )


def members_of(s: Session, alert_id: int) -> list[str]:
    """The alarms an outage incident counted (what the API and history list)."""
    q = select(CoOutageMember.device_id).where(CoOutageMember.alert_id == alert_id)
    return list(s.scalars(q.order_by(CoOutageMember.device_id)))


class OutageWatch:
    """The outage part of one sweep; each ``step`` is one bounded batch."""

    def __init__(
        self,
        book: AlertBook,
        batch: int,
        probe: Probe = lambda: None,
    ) -> None:
        rules = book.rules
        assert rules.outage is not None
        self.book = book
        self.cfg: Outage = rules.outage
        self.rule: Rule = rules.by_kind(OUTAGE_KIND)
        self.silent: Rule | None = next((r for r in rules.rule if r.silent), None)
        self.batch = batch
        self.probe = probe
        self._active: dict[str, CoAlert] = {}
        self._verdicts: dict[str, bool] = {}

    def step(self, s: Session, now: datetime) -> bool:
        """Blindness, then each incident's alarms, recoveries and releases; True: more to do."""
        self._active = {
            a.region_code: a
            for a in s.scalars(
                select(CoAlert).where(CoAlert.kind == OUTAGE_KIND, CoAlert.status.in_(ACTIVE))
            )
        }
        self._verdicts = {}
        since = now - timedelta(seconds=self.cfg.window_s)
        cause = self._blind(s, since)
        anyone = cause is not None and BLIND not in self._active
        if anyone and suspects(s, BLIND, since, 1):
            self._open(s, BLIND, now, {"cause": cause}, self.cfg.blind_notify)
        for alert in list(self._active.values()):
            if self._absorb(s, alert, suspects(s, alert.region_code, since, self.batch), now):
                return True
        for code, alert in list(self._active.items()):
            if self._recovered(s, alert, cause):
                lifecycle.clear(alert, now, auto_resolve=True, cause="area heard again")
                del self._active[code]
        return self._release(s, now)

    def alone(self, s: Session, due: list[CoDevice], now: datetime) -> list[CoDevice]:
        """Of alarms whose silence fell due, those whose area is not out (their own
        alerts); the others join their area's incident."""
        joining: dict[int, tuple[CoAlert, list[str]]] = {}
        out = []
        for dev in due:
            alert = self._incident_of(s, dev, now)
            if alert is None:
                out.append(dev)
            else:
                joining.setdefault(alert.id, (alert, []))[1].append(dev.device_id)
        for alert, ids in joining.values():
            self._join(s, alert, ids, now)
        return out

    def _incident_of(self, s: Session, dev: CoDevice, now: datetime) -> CoAlert | None:
        """The incident ``dev``'s area is in, opened now if the area is out."""
        code = dev.region_code or ""
        areas = [a for a in self.cfg.area if len(code) == LEVEL_DIGITS["village"]]
        keys = [BLIND, *(code[: LEVEL_DIGITS[a.level]] for a in areas)]
        alert = next((self._active[k] for k in keys if k in self._active), None)
        if alert is None:
            since = now - timedelta(seconds=self.cfg.window_s)
            area = next((a for a in areas if self._out(s, a, code, since)), None)
            if area is None:
                return None
            key = code[: LEVEL_DIGITS[area.level]]
            alert = self._open(s, key, now, {"cause": "area", "level": area.level}, area.notify)
        return alert

    # -- steps -------------------------------------------------------------

    def _blind(self, s: Session, since: datetime) -> str | None:
        """Our side hears nothing: the probe's cause, or no alarm at all heard since ``since``."""
        cause = self.probe()
        if cause is not None:
            return cause
        heard = select(CoDevice.device_id).where(
            CoDevice.silent_alerted.is_(False), CoDevice.last_heard_at >= since
        )
        if s.scalar(select(exists(heard))):
            return None
        watched = select(CoDevice.device_id).where(CoDevice.last_heard_at.is_not(None))
        n = s.scalar(
            select(func.count()).select_from(watched.limit(self.cfg.min_watched).subquery())
        )
        return NO_MESSAGES if (n or 0) >= self.cfg.min_watched else None

    def _out(self, s: Session, area: OutageArea, code: str, since: datetime) -> bool:
        """The area holds ``min_count`` alarms, ``min_share`` of those watched, not heard since."""
        key = code[: LEVEL_DIGITS[area.level]]
        if key in self._verdicts:
            return self._verdicts[key]
        watched = s.scalar(
            select(func.count()).where(in_area(key), CoDevice.last_heard_at.is_not(None))
        )
        silent = sum(
            s.scalar(select(func.count()).where(lost)) or 0
            for lost in (_silent_in(key, since), _held_in(key, since))
        )
        out = bool(watched) and silent >= area.min_count and silent >= area.min_share * watched
        self._verdicts[key] = out
        return out

    def _open(
        self, s: Session, code: str, now: datetime, detail: dict, notify: list[str]
    ) -> CoAlert:
        alert = self.book.open_incident(s, self.rule, code, now, {**detail, "count": 0}, notify)
        self._active[code] = alert
        return alert

    def _absorb(self, s: Session, alert: CoAlert, found: list[str], now: datetime) -> bool:
        """A batch of the area's lost alarms joins the incident; True when it was full."""
        if found:
            self._join(s, alert, found, now)
        return len(found) == self.batch

    @staticmethod
    def _join(s: Session, alert: CoAlert, ids: list[str], now: datetime) -> None:
        """The alarms ``ids`` are counted in ``alert``: no alert of their own (set-wise)."""
        s.execute(
            update(CoDevice)
            .where(CoDevice.device_id.in_(ids))
            .values(silent_alerted=True, offline_at=None)
            .execution_options(synchronize_session=False)
        )
        rows = [{"alert_id": alert.id, "device_id": i, "joined_at": now} for i in ids]
        ins = dialect_insert(s, CoOutageMember).on_conflict_do_nothing(
            index_elements=["alert_id", "device_id"]
        )
        new = set(s.scalars(ins.returning(CoOutageMember.device_id), rows))
        again = [i for i in ids if i not in new]
        if again:  # heard, then silent again while the incident lasts
            s.execute(
                update(CoOutageMember)
                .where(CoOutageMember.alert_id == alert.id, CoOutageMember.device_id.in_(again))
                .values(joined_at=now, released_at=None)
                .execution_options(synchronize_session=False)
            )
        alert.detail = {**alert.detail, "count": alert.detail.get("count", 0) + len(new)}
        alert.updated_at = now

    def _recovered(self, s: Session, alert: CoAlert, cause: str | None) -> bool:
        """Blind: we hear again. An area: ``recovered_share`` of its alarms heard again."""
        if alert.region_code == BLIND:
            return cause is None
        count = alert.detail.get("count", 0)
        heard = s.scalar(
            select(func.count())
            .select_from(CoOutageMember)
            .join(CoDevice, CoDevice.device_id == CoOutageMember.device_id)
            .where(
                CoOutageMember.alert_id == alert.id,
                CoDevice.last_heard_at > CoOutageMember.joined_at,
            )
        )
        return count > 0 and heard >= self.cfg.recovered_share * count

    def _release(self, s: Session, now: datetime) -> bool:
        """Alarms of incidents resolved ``grace_s`` ago: heard again, or their own alert now."""
        before = now - timedelta(seconds=self.cfg.grace_s)
        rows = s.execute(
            select(CoOutageMember, CoAlert, CoDevice)
            .join(CoAlert, CoAlert.id == CoOutageMember.alert_id)
            .join(CoDevice, CoDevice.device_id == CoOutageMember.device_id)
            .where(
                CoOutageMember.released_at.is_(None),
                CoAlert.status == RESOLVED,
                CoAlert.resolved_at <= before,
            )
            .limit(self.batch)
        ).all()
        still: dict[int, tuple[CoAlert, int]] = {}
        for m, alert, dev in rows:
            m.released_at = now
            quiet = dev.last_heard_at is None or dev.last_heard_at <= m.joined_at
            if not quiet or self.silent is None:
                continue
            dev.silent_alerted, dev.offline_at = True, None
            last = dev.last_state_at.isoformat() if dev.last_state_at else None
            cause = "last_will" if dev.online is False else "silent"
            detail = {"cause": cause, "last_state_at": last, "outage": alert_ref(alert)}
            self.book.raise_(s, dev, self.silent, now, detail)
            n = still.get(alert.id, (alert, 0))[1]
            still[alert.id] = (alert, n + 1)
        for alert, n in still.values():
            alert.detail = {**alert.detail, "still_silent": alert.detail.get("still_silent", 0) + n}
            alert.updated_at = now
        return len(rows) == self.batch
