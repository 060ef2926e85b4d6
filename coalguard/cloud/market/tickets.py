"""Weighbridge tickets (过磅单): a truck's stable gross and tare at a sales point, and the net.

A sales point's station reads its scale (``drivers.weighbridge``) and posts the
two stable weighings on a clerk's action; the cloud checks the point, numbers
the ticket per point and local day, and keeps it. A sale record (five-part
form) carries the ticket's id and its net. Posting the same ``client_id`` again
answers the ticket already kept: a station may retry after a lost answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from coalguard.cloud.db import Base, UTCDateTime
from coalguard.cloud.market.points import may_record_sales, point_by_code
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.scope import aware
from coalguard.edge.clock import LOCAL_TZ
from coalguard.edge.plates import normalize_plate

MAX_KG = Decimal(200_000)  # beyond any road truck
MAX_APART = timedelta(hours=48)  # gross and tare of one visit
FUTURE_SLACK = timedelta(minutes=5)  # a station's clock a little ahead


class TicketError(Exception):
    """A ticket refused: ``key`` is a ``[weighbridge]`` catalog key; ``status`` the HTTP one."""

    def __init__(self, status: int, key: str, **params: object) -> None:
        self.status, self.key, self.params = status, f"weighbridge.{key}", params
        super().__init__(f"{key} {params}")


class WeighTicket(Base):
    """One 过磅单: gross and tare taken from stable readings of one scale."""

    __tablename__ = "mkt_ticket"
    __table_args__ = (Index("ix_mkt_ticket_region_recorded", "region_code", "recorded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial: Mapped[str] = mapped_column(String(96), unique=True)  # point code-day-number
    point_id: Mapped[int] = mapped_column(ForeignKey("mkt_point.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))  # the point's, for scoping
    scale_id: Mapped[str] = mapped_column(String(64))
    scale_format: Mapped[str] = mapped_column(String(32))
    plate: Mapped[str] = mapped_column(String(16))
    gross_kg: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    tare_kg: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    net_kg: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    gross_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tare_at: Mapped[datetime] = mapped_column(UTCDateTime())
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Weighing(BaseModel):
    """One stable reading the station took: the weight and when it was read."""

    model_config = ConfigDict(extra="forbid")

    kg: Decimal = Field(ge=0, le=MAX_KG, max_digits=12, decimal_places=3)
    at: datetime
    stable: Literal[True]  # only a stable reading makes a ticket

    _utc = field_validator("at")(aware)


class TicketIn(BaseModel):
    """What a station posts (``POST /api/v1/market/tickets``)."""

    model_config = ConfigDict(extra="forbid")

    point_code: str = Field(min_length=1, max_length=64)
    scale_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    scale_format: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    plate: str = Field(min_length=2, max_length=16)
    gross: Weighing
    tare: Weighing
    client_id: str | None = Field(None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")


def _check(body: TicketIn, now: datetime) -> None:
    if body.gross.kg <= body.tare.kg:
        raise TicketError(422, "net_not_positive", gross=body.gross.kg, tare=body.tare.kg)
    if abs(body.gross.at - body.tare.at) > MAX_APART:
        raise TicketError(422, "weighings_apart", hours=int(MAX_APART.total_seconds() // 3600))
    if max(body.gross.at, body.tare.at) > now + FUTURE_SLACK:
        raise TicketError(422, "weighing_in_future")


def _serial(s: Session, point: BusinessPoint, now: datetime) -> str:
    day = now.astimezone(LOCAL_TZ).strftime("%Y%m%d")
    prefix = f"{point.code}-{day}-"
    taken = s.scalar(select(func.count()).where(WeighTicket.serial.startswith(prefix)))
    return f"{prefix}{(taken or 0) + 1:04d}"


def record_ticket(
    s: Session, body: TicketIn, who: str, covers: Callable[[str], bool], now: datetime
) -> tuple[WeighTicket, bool]:
    """Keep a ticket (or find the one kept for ``client_id``); True when new.

    ``covers``: the caller's region test (``Operator.covers``).
    """
    point = point_by_code(s, body.point_code)
    if point is None or not covers(point.region_code):
        raise TicketError(404, "no_point", code=body.point_code)
    if body.client_id:
        kept = s.scalar(select(WeighTicket).where(WeighTicket.client_id == body.client_id))
        if kept is not None:
            same = (kept.point_id, kept.gross_kg, kept.tare_kg)
            if same != (point.id, body.gross.kg, body.tare.kg):
                raise TicketError(409, "client_id_reused", client_id=body.client_id)
            return kept, False
    permission = may_record_sales(point)
    if not permission.allowed:
        raise TicketError(409, "point_may_not_sell", code=point.code, point_status=point.status)
    _check(body, now)
    ticket = WeighTicket(
        serial=_serial(s, point, now),
        point_id=point.id,
        region_code=point.region_code,
        scale_id=body.scale_id,
        scale_format=body.scale_format,
        plate=normalize_plate(body.plate),
        gross_kg=body.gross.kg,
        tare_kg=body.tare.kg,
        net_kg=body.gross.kg - body.tare.kg,
        gross_at=body.gross.at,
        tare_at=body.tare.at,
        client_id=body.client_id,
        recorded_by=who,
        recorded_at=now,
    )
    s.add(ticket)
    s.flush()
    return ticket, True


def tickets_in(
    s: Session, region: str, *, point_code: str | None, plate: str | None, limit: int
) -> list[tuple[WeighTicket, BusinessPoint]]:
    """The region's tickets, newest first."""
    q = (
        select(WeighTicket, BusinessPoint)
        .join(BusinessPoint, BusinessPoint.id == WeighTicket.point_id)
        .where(WeighTicket.region_code.startswith(region))
    )
    if point_code:
        q = q.where(BusinessPoint.code == point_code)
    if plate:
        q = q.where(WeighTicket.plate == normalize_plate(plate))
    q = q.order_by(WeighTicket.recorded_at.desc(), WeighTicket.id.desc()).limit(limit)
    return [(t, p) for t, p in s.execute(q).all()]


def ticket_with_point(s: Session, ticket_id: int) -> tuple[WeighTicket, BusinessPoint] | None:
    t = s.get(WeighTicket, ticket_id)
    if t is None:
        return None
    return t, s.get_one(BusinessPoint, t.point_id)
