"""The village purchase register (登记交款清单, seed 000 三; R26): households, tonnes,
stoves, payment; posted in the village, sent to the town, then to the supplier.

The steps go one way, each recorded with who and when; lines are editable only
while the register is a draft (what was posted is what the town receives).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.delivery.errors import DeliveryError
from coalguard.cloud.delivery.tables import PurchaseRegister, RegisterLine, RegisterStep, Supplier
from coalguard.cloud.households.tables import Household
from coalguard.cloud.scope import region_level

STEPS = ("draft", "posted", "sent_to_town", "sent_to_supplier")


@dataclass(frozen=True)
class LineIn:
    household_id: int
    coal_t: Decimal
    stoves: int
    paid_yuan: Decimal


def open_register(
    s: Session, village_code: str, season: str, by: str, now: datetime
) -> PurchaseRegister:
    """The village's register for the season (one per village and season)."""
    if region_level(village_code) != "village":
        raise DeliveryError("not_a_village", code=village_code)
    reg = s.scalar(
        select(PurchaseRegister).where(
            PurchaseRegister.village_code == village_code, PurchaseRegister.season == season
        )
    )
    if reg is None:
        reg = PurchaseRegister(
            village_code=village_code,
            season=season,
            status="draft",
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        s.add(reg)
        s.flush()
        s.add(RegisterStep(register_id=reg.id, status="draft", by=by, at=now))
    return reg


def put_lines(s: Session, reg: PurchaseRegister, lines: list[LineIn], now: datetime) -> None:
    """Set households' lines (replacing a household's earlier line); only on a draft."""
    if reg.status != "draft":
        raise DeliveryError("register_not_draft", status=409, step=reg.status)
    for ln in lines:
        if ln.coal_t < 0 or ln.stoves < 0 or ln.paid_yuan < 0:
            raise DeliveryError("negative_line", household=ln.household_id)
        row = s.scalar(
            select(RegisterLine).where(
                RegisterLine.register_id == reg.id, RegisterLine.household_id == ln.household_id
            )
        )
        if row is None:
            row = RegisterLine(register_id=reg.id, household_id=ln.household_id)
            s.add(row)
        row.coal_t, row.stoves, row.paid_yuan = ln.coal_t, ln.stoves, ln.paid_yuan
    reg.updated_at = now
    s.flush()


def advance(
    s: Session,
    reg: PurchaseRegister,
    to: str,
    by: str,
    now: datetime,
    supplier_id: int | None = None,
) -> None:
    """Move the register one step on; sending to the supplier names the supplier."""
    if to not in STEPS or STEPS.index(to) != STEPS.index(reg.status) + 1:
        raise DeliveryError("register_step", status=409, now=reg.status, to=to)
    if to == "posted" and not lines_of(s, reg.id):
        raise DeliveryError("register_empty", status=409)
    if to == "sent_to_supplier":
        if supplier_id is None or s.get(Supplier, supplier_id) is None:
            raise DeliveryError("no_supplier", status=404, id=supplier_id)
        reg.supplier_id = supplier_id
    reg.status, reg.updated_at = to, now
    s.add(RegisterStep(register_id=reg.id, status=to, by=by, at=now))
    s.flush()


def lines_of(s: Session, register_id: int) -> list[RegisterLine]:
    return list(
        s.scalars(
            select(RegisterLine)
            .where(RegisterLine.register_id == register_id)
            .order_by(RegisterLine.household_id)
        )
    )


def steps_of(s: Session, register_id: int) -> list[RegisterStep]:
    return list(
        s.scalars(
            select(RegisterStep)
            .where(RegisterStep.register_id == register_id)
            .order_by(RegisterStep.id)
        )
    )


def posted_lines(s: Session, reg: PurchaseRegister) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The register as posted: each head's masked name, tonnes, stoves, payment, and totals."""
    rows, coal, stoves, paid = [], Decimal(0), 0, Decimal(0)
    for ln in lines_of(s, reg.id):
        h = s.get(Household, ln.household_id)
        rows.append(
            {
                "head": h.head_name_masked if h else "-",
                "coal_t": f"{Decimal(ln.coal_t):.3f}",
                "stoves": str(ln.stoves),
                "paid_yuan": f"{Decimal(ln.paid_yuan):.2f}",
            }
        )
        coal, stoves, paid = (
            coal + Decimal(ln.coal_t),
            stoves + ln.stoves,
            paid + Decimal(ln.paid_yuan),
        )
    return rows, {"coal_t": f"{coal:.3f}", "stoves": str(stoves), "paid_yuan": f"{paid:.2f}"}
