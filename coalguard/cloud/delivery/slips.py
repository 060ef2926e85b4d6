"""Deliveries recorded from the five-part slips (一式五联, seed 003 二 (四); R20).

A slip names the household (on its village's purchase register for the season),
the supplier, the batch and its lines (coal in tonnes, stoves, …). Sending the
same slip again changes nothing (a phone on a village road retries); the same
serial with other content is refused, naming the serial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.delivery.errors import DeliveryError
from coalguard.cloud.delivery.tables import Delivery, PurchaseRegister, RegisterLine, Supplier
from coalguard.cloud.subsidies.schemes import SLIP_ITEMS


@dataclass(frozen=True)
class SlipLine:
    item: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class SlipIn:
    serial: str
    household_id: int
    village_code: str
    supplier_id: int
    batch_no: str
    delivered_on: date
    lines: tuple[SlipLine, ...]


def record_slip(s: Session, slip: SlipIn, season: str, by: str, now: datetime) -> list[Delivery]:
    """Keep the slip's lines as deliveries; idempotent by serial and item."""
    if not slip.lines:
        raise DeliveryError("slip_empty", serial=slip.serial)
    if s.get(Supplier, slip.supplier_id) is None:
        raise DeliveryError("no_supplier", status=404, id=slip.supplier_id)
    registered = s.scalar(
        select(RegisterLine.id)
        .join(PurchaseRegister, PurchaseRegister.id == RegisterLine.register_id)
        .where(
            PurchaseRegister.village_code == slip.village_code,
            PurchaseRegister.season == season,
            RegisterLine.household_id == slip.household_id,
        )
    )
    if registered is None:
        raise DeliveryError(
            "not_registered", status=409, household=slip.household_id, season=season
        )
    kept: list[Delivery] = []
    for ln in slip.lines:
        if ln.item not in SLIP_ITEMS:
            raise DeliveryError("slip_item", item=ln.item)
        if ln.quantity <= 0 or ln.unit_price < 0:
            raise DeliveryError("slip_quantity", serial=slip.serial, item=ln.item)
        old = s.scalar(
            select(Delivery).where(Delivery.slip_serial == slip.serial, Delivery.item == ln.item)
        )
        if old is not None:
            same = (
                old.household_id == slip.household_id
                and old.supplier_id == slip.supplier_id
                and old.delivered_on == slip.delivered_on
                and Decimal(old.quantity) == ln.quantity
                and Decimal(old.unit_price) == ln.unit_price
            )
            if not same:
                raise DeliveryError("slip_conflict", status=409, serial=slip.serial)
            kept.append(old)
            continue
        row = Delivery(
            slip_serial=slip.serial,
            item=ln.item,
            household_id=slip.household_id,
            village_code=slip.village_code,
            season=season,
            supplier_id=slip.supplier_id,
            batch_no=slip.batch_no,
            delivered_on=slip.delivered_on,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            recorded_by=by,
            recorded_at=now,
        )
        s.add(row)
        kept.append(row)
    s.flush()
    return kept


def deliveries_of(s: Session, household_id: int) -> list[Delivery]:
    return list(
        s.scalars(
            select(Delivery)
            .where(Delivery.household_id == household_id)
            .order_by(Delivery.delivered_on, Delivery.id)
        )
    )
