"""Recording a point's purchases and sales (R12, R25), and what a sale's buyer data is.

A sale is refused, worded, when the point may not record sales (under
rectification, dormant, shut), when the buyer's ID number fails GB 11643, or
when its weighbridge ticket is unknown or belongs to another point. Once stored,
the sale is checked (``findings.check_sale``) in the same transaction: what the
books show becomes findings on the point, never a refused sale.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.contacts.directory import mobile_number
from coalguard.cloud.market.idcard import normalize, parse_id_card
from coalguard.cloud.market.points import MarketError, may_record_sales
from coalguard.cloud.market.sales_tables import PointClerk, Purchase, Sale
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.privacy import keyed_hash, mask_id_card, mask_phone
from coalguard.cloud.scope import region_level
from coalguard.cloud.sealing import Keyring, purpose_of
from coalguard.edge.clock import LOCAL_TZ
from coalguard.edge.quality.profiles import COAL_TYPES
from coalguard.errors import WordedValueError

ID_PURPOSE = purpose_of(Sale, "buyer_id_sealed")
PHONE_PURPOSE = purpose_of(Sale, "buyer_phone_sealed")
MAX_TONNES = 200.0  # one truck on one ticket


class SalesError(WordedValueError):
    """What recording a purchase or sale refuses, from the ``[market_sales]`` catalog table."""

    section = "market_sales"


def _coal_type(v: str) -> str:
    if v not in COAL_TYPES:
        raise SalesError("coal_type", value=v, known=", ".join(COAL_TYPES))
    return v


class PurchaseIn(BaseModel):
    """An inbound record as a clerk writes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contract_no: str = Field(min_length=1, max_length=64)
    supplier: str = Field(min_length=1, max_length=200)
    quality_report: str = Field(min_length=1, max_length=200)
    coal_type: str
    tonnes: float = Field(gt=0, le=100_000)
    received_on: date | None = None

    @field_validator("coal_type")
    @classmethod
    def _type(cls, v: str) -> str:
        return _coal_type(v)


class SaleIn(BaseModel):
    """A five-part form (五联单) as a clerk writes it; the amount is quantity × unit price."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    serial_no: str = Field(min_length=1, max_length=64)
    buyer_name: str = Field(min_length=1, max_length=100)
    buyer_address: str = Field(min_length=1, max_length=300)
    buyer_village: str
    buyer_id: str = Field(min_length=1, max_length=32)
    buyer_phone: str = Field(min_length=1, max_length=32)
    coal_type: str
    quantity_t: float = Field(gt=0, le=MAX_TONNES)
    unit_price: float = Field(ge=0, le=100_000)
    quality_report: str = Field(min_length=1, max_length=200)
    ticket_id: str = Field(min_length=1, max_length=64)
    sold_on: date | None = None

    @field_validator("coal_type")
    @classmethod
    def _type(cls, v: str) -> str:
        return _coal_type(v)

    @field_validator("buyer_village")
    @classmethod
    def _village(cls, v: str) -> str:
        if region_level(v) != "village":
            raise SalesError("village_code", value=v)
        return v

    @field_validator("buyer_phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        return mobile_number(v)

    @field_validator("buyer_id")
    @classmethod
    def _id_card(cls, v: str) -> str:
        # Everything but "born by today", which ``record_sale`` checks with the clock.
        return parse_id_card(v, date.max).number


def local_day(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def clerk_point(s: Session, user_name: str) -> BusinessPoint | None:
    """The point a clerk records for, or None when none is assigned."""
    link = s.get(PointClerk, user_name)
    return s.get(BusinessPoint, link.point_id) if link else None


def assign_clerk(s: Session, user_name: str, point: BusinessPoint, by: str, now: datetime) -> None:
    """Make ``user_name`` the clerk of ``point`` (one point per clerk; reassigning moves them)."""
    link = s.get(PointClerk, user_name)
    if link is None:
        s.add(PointClerk(user_name=user_name, point_id=point.id, assigned_by=by, assigned_at=now))
    else:
        link.point_id, link.assigned_by, link.assigned_at = point.id, by, now
    s.flush()


def _may_sell(point: BusinessPoint) -> None:
    allowed = may_record_sales(point)
    if not allowed:
        raise SalesError(
            "point_may_not_sell", code=point.code, reason=MarketError(allowed.reason or "")
        )


def record_purchase(
    s: Session, point: BusinessPoint, body: PurchaseIn, by: str, now: datetime
) -> Purchase:
    row = Purchase(
        point_id=point.id,
        region_code=point.region_code,
        contract_no=body.contract_no,
        supplier=body.supplier,
        quality_report=body.quality_report,
        coal_type=body.coal_type,
        tonnes=body.tonnes,
        received_on=body.received_on or local_day(now),
        recorded_by=by,
        recorded_at=now,
    )
    s.add(row)
    s.flush()
    return row


def id_hash(keyring: Keyring, id_number: str) -> str:
    """The keyed hash a buyer is found by (any writing of one number gives one hash)."""
    return keyed_hash(normalize(id_number), key=keyring.hash_key)


def record_sale(
    s: Session,
    point: BusinessPoint,
    body: SaleIn,
    keyring: Keyring,
    by: str,
    now: datetime,
    ticket_net_t: float | None,
) -> Sale:
    """Store one form, buyer data sealed; the caller checks it (``findings.check_sale``).

    ``ticket_net_t``: the net weight of the ticket the form carries (the caller
    looked the ticket up and checked it belongs to the point)."""
    _may_sell(point)
    today = local_day(now)
    card = parse_id_card(body.buyer_id, today)
    sold_on = body.sold_on or today
    if sold_on > today:
        raise SalesError("sold_in_future", day=sold_on.isoformat())
    row = Sale(
        point_id=point.id,
        region_code=point.region_code,
        serial_no=body.serial_no,
        buyer_name=body.buyer_name,
        buyer_address=body.buyer_address,
        buyer_village=body.buyer_village,
        buyer_id_sealed=keyring.seal(card.number, ID_PURPOSE),
        buyer_id_hash=id_hash(keyring, card.number),
        buyer_id_masked=mask_id_card(card.number),
        buyer_phone_sealed=keyring.seal(body.buyer_phone, PHONE_PURPOSE),
        buyer_phone_hash=keyring.phone_hash(body.buyer_phone),
        buyer_phone_masked=mask_phone(body.buyer_phone),
        coal_type=body.coal_type,
        quantity_t=body.quantity_t,
        unit_price=body.unit_price,
        amount=round(body.quantity_t * body.unit_price, 2),
        quality_report=body.quality_report,
        ticket_id=body.ticket_id,
        ticket_net_t=ticket_net_t,
        sold_on=sold_on,
        recorded_by=by,
        recorded_at=now,
    )
    s.add(row)
    s.flush()
    return row


def open_buyer(row: Sale, keyring: Keyring) -> tuple[str, str]:
    """The plain ID number and phone of a sale's buyer (only for an audited reveal)."""
    return keyring.open(row.buyer_id_sealed, ID_PURPOSE), keyring.open(
        row.buyer_phone_sealed, PHONE_PURPOSE
    )


def sales_of(s: Session, point_id: int, limit: int = 200) -> list[Sale]:
    q = select(Sale).where(Sale.point_id == point_id).order_by(Sale.id.desc()).limit(limit)
    return list(s.scalars(q))


def purchases_of(s: Session, point_id: int, limit: int = 200) -> list[Purchase]:
    q = select(Purchase).where(Purchase.point_id == point_id).order_by(Purchase.id.desc())
    return list(s.scalars(q.limit(limit)))
