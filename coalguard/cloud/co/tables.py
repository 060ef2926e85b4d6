"""Tables of the CO alarm path: devices, messages, dead letters, alerts,
notifications and commissioning records.

Times are stored as timezone-aware UTC. Phone numbers are stored only as a
keyed hash plus a masked form (``138****5678``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from coalguard.cloud.db import Base, UTCDateTime
from coalguard.cloud.leases import Claimable


class CoDevice(Base):
    """One alarm: who it belongs to (once registered) and what it last said."""

    __tablename__ = "co_device"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    region_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    household_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    installer_id: Mapped[str | None] = mapped_column(String(64))
    # The household of the register (``hh_household.id``) the alarm is registered for.
    household_id: Mapped[int | None] = mapped_column(Integer, index=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_state_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    battery_pct: Mapped[float | None] = mapped_column(Float)
    online: Mapped[bool | None] = mapped_column(Boolean)
    eol: Mapped[bool] = mapped_column(Boolean, default=False)
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_seq: Mapped[int | None] = mapped_column(BigInteger)
    messages: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    gaps: Mapped[int] = mapped_column(BigInteger, default=0)
    silent_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the alarm was last heard while watched for silence: its last state, else its
    # registration; None until registered or first state. One column so the sweep has an index.
    last_heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When its last will said "offline" while its alert is held back, its area perhaps
    # out (``co/outage.py``); None once decided (an incident's member or its own alert).
    offline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # "not yet alerted and heard before the cutoff, oldest first": the silence sweep.
        Index("ix_co_device_silence", "silent_alerted", "last_heard_at"),
        # An area's alarms and how many of them are silent: the outage check (``co/outage.py``).
        Index("ix_co_device_area_silence", "region_code", "silent_alerted", "last_heard_at"),
        # Held last wills, oldest first: the offline sweep (few rows: NULL once decided).
        Index("ix_co_device_offline_held", "offline_at"),
    )


class CoMessageRow(Base):
    """Every state and event as received, once per (device, seq).

    On PostgreSQL the table is partitioned by kind and day (``co/partitions.py``):
    there the primary key is (id, kind, ts) and the unique (device_id, seq) is
    one per partition, held across them by ingest (``store.py``).
    """

    __tablename__ = "co_message"
    __table_args__ = (
        UniqueConstraint("device_id", "seq", name="uq_co_message_device_seq"),
        # The retention job's oldest heartbeats first (``co/retention.py``).
        Index("ix_co_message_kind_ts", "kind", "ts"),
    )

    # 64-bit on PostgreSQL: ~144 million heartbeats a day at province scale.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    device_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    unregistered: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class CoHourly(Base):
    """One alarm's heartbeats of one hour, once their raw rows are gone."""

    __tablename__ = "co_message_hourly"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    co_min: Mapped[float | None] = mapped_column(Float)
    co_max: Mapped[float | None] = mapped_column(Float)
    co_last: Mapped[float | None] = mapped_column(Float)
    battery_last: Mapped[float | None] = mapped_column(Float)
    # The time of the heartbeat ``*_last`` came from: a later batch only replaces a later one.
    last_ts: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(BigInteger)


class CoDeadLetter(Base):
    """A message that did not parse: topic, raw bytes and the reason."""

    __tablename__ = "co_dead_letter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    topic: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)


class AlertLifecycle:
    """Columns of the one alert lifecycle (open → acknowledged → resolved, with
    who and when), shared by CO alarm and checkpoint alerts."""

    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How it was acknowledged: link | sms_reply | dashboard (``alert_lifecycle.ACK_WAYS``).
    acknowledged_via: Mapped[str | None] = mapped_column(String(16))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(Text)


class CoAlert(AlertLifecycle, Base):
    """One condition at one alarm, from open to acknowledged to resolved."""

    __tablename__ = "co_alert"
    __table_args__ = (
        Index("ix_co_alert_region_status", "region_code", "status"),
        # The alarm board's "changed since" poll (``cloud/board/feed.py``).
        Index("ix_co_alert_updated_at", "updated_at"),
        # The active area outages, read by every sweep (``co/outage.py``).
        Index("ix_co_alert_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")


class CoOutageMember(Base):
    """One alarm counted in an ``area_outage`` incident (``co/outage.py``): it got no
    alert of its own. ``released_at``: the incident ended and a grace period later the
    alarm was either heard again or given its own offline alert."""

    __tablename__ = "co_outage_member"
    __table_args__ = (Index("ix_co_outage_member_open", "released_at", "alert_id"),)

    alert_id: Mapped[int] = mapped_column(ForeignKey("co_alert.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# sent: the provider accepted it; delivered/undelivered: its receipt said so;
# failed: never accepted (attempts ran out).
DELIVERY_STATES = ("sent", "delivered", "undelivered", "failed")


class Outgoing(Claimable):
    """Columns of a message to one channel, durable before it is sent: what the
    notifier (``co/notifier.py``) claims, sends, retries and settles. A table of
    them adds an integer ``id`` primary key and what the message is about."""

    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the provider said: its message id (receipts name it), then the receipt.
    provider_id: Mapped[str | None] = mapped_column(String(128), index=True)
    delivery_state: Mapped[str | None] = mapped_column(String(16))  # DELIVERY_STATES
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_detail: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def withdrawn(cls, s: Session, rows: list[Self]) -> set[int]:
        """Ids among ``rows`` no longer worth sending (the notifier cancels them)."""
        return set()

    @classmethod
    def queued(cls, channel: str, body: dict[str, Any], at: datetime, **about: Any) -> Self:
        """A message due now, never tried (``about``: the table's own columns)."""
        return cls(
            channel=channel,
            status="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
            body=body,
            **about,
        )


class CoNotification(Outgoing, Base):
    """One message to one channel about one alert; durable before it is sent.

    A notifier claims the row before sending (``Claimable``), so with several
    workers each notification is sent once. A row of an escalation step is
    addressed to one person of the contact directory (``contact_id``, never the
    phone: the notifier looks it up at send time); ``step`` and ``attempt``
    (the step's repeat round) place it in the chain; a failover row names the
    row it replaces (``failover_of``). Status ``no_recipient``: the directory
    had nobody for the step (shown, never silent); ``cancelled``: acknowledged
    before it went out."""

    __tablename__ = "co_notification"
    __table_args__ = (
        UniqueConstraint(
            "alert_id", "step", "attempt", "contact_id", "channel", name="uq_co_notification_once"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("co_alert.id"), index=True)
    level: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    who: Mapped[str | None] = mapped_column(String(32))
    contact_id: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[int | None] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    failover_of: Mapped[int | None] = mapped_column(Integer)
    failed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_code: Mapped[str | None] = mapped_column(String(8), index=True)

    @classmethod
    def withdrawn(cls, s: Session, rows: list[Self]) -> set[int]:
        """Rows of alerts someone has acknowledged: the escalation stopped there."""
        alert_ids = {r.alert_id for r in rows}
        if not alert_ids:
            return set()
        acked = set(
            s.scalars(
                select(CoAlert.id).where(
                    CoAlert.id.in_(alert_ids), CoAlert.acknowledged_at.is_not(None)
                )
            )
        )
        return {r.id for r in rows if r.alert_id in acked}


class CoCommissioning(Base):
    """An installer's end-to-end test of one alarm, and its result."""

    __tablename__ = "co_commissioning"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    installer_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    test_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)


class CoEarlyReceipt(Base):
    """A delivery receipt that named no notification yet (``co/receipts.py``).

    A provider may push a receipt before the notifier has stored the message id
    it answered (the send returns, the receipt races the commit). Kept here and
    applied when the id is stored; purged after ``EARLY_KEEP`` if no row ever
    names it (a stray or another system's id)."""

    __tablename__ = "co_early_receipt"

    provider_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    delivered: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
