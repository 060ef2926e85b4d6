"""The delivery company's monthly sales summary (销售汇总表, seed 003 二 (五); R20).

Built from the company's slips of one township and month, never typed in;
sealed by a SHA-256 digest of its content (the company seal stands for it),
then reviewed town → 发改局 → 财政局, each step recording its reviewer. A
reviewer signs only what is sealed: content changed since, or slips recorded
since for that month, refuse the review (the summary must be sealed again).
A returned summary goes back to the company to seal anew.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.delivery.errors import DeliveryError
from coalguard.cloud.delivery.tables import Delivery, SalesSummary, SummaryReview, Supplier
from coalguard.cloud.subsidies.schemes import money

REVIEW_STEPS = ("town", "fdrc", "finance")  # 街道镇 → 区发改局 → 区财政局
# The status a summary has once a step approved it.
APPROVED = {"town": "town_approved", "fdrc": "fdrc_approved", "finance": "filed"}
WAITING_FOR = {"sealed": "town", "town_approved": "fdrc", "fdrc_approved": "finance"}


def _month_bounds(month: str) -> tuple[date, date]:
    y, m = (int(x) for x in month.split("-"))
    start = date(y, m, 1)
    end = date(y + (m == 12), m % 12 + 1, 1)
    return start, end


def build(s: Session, supplier_id: int, township_code: str, month: str) -> dict[str, Any]:
    """The summary's content from the slips: per village, then totals (decimals as text)."""
    start, end = _month_bounds(month)
    rows = s.scalars(
        select(Delivery)
        .where(
            Delivery.supplier_id == supplier_id,
            Delivery.village_code.startswith(township_code),
            Delivery.delivered_on >= start,
            Delivery.delivered_on < end,
        )
        .order_by(Delivery.village_code, Delivery.slip_serial, Delivery.item)
    )
    villages: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "households": set(),
            "slips": set(),
            "coal_t": Decimal(0),
            "stoves": Decimal(0),
            "amount": Decimal(0),
        }
    )
    for d in rows:
        v = villages[d.village_code]
        v["households"].add(d.household_id)
        v["slips"].add(d.slip_serial)
        q = Decimal(d.quantity)
        if d.item == "coal":
            v["coal_t"] += q
        elif d.item == "stove":
            v["stoves"] += q
        v["amount"] += q * Decimal(d.unit_price)
    out_villages = []
    totals = {
        "households": 0,
        "slips": 0,
        "coal_t": Decimal(0),
        "stoves": Decimal(0),
        "amount": Decimal(0),
    }
    for code in sorted(villages):
        v = villages[code]
        row = {
            "village_code": code,
            "households": len(v["households"]),
            "slips": len(v["slips"]),
            "coal_t": str(v["coal_t"].quantize(Decimal("0.001"))),
            "stoves": str(int(v["stoves"])),
            "amount": str(money(v["amount"])),
        }
        out_villages.append(row)
        for k in ("households", "slips"):
            totals[k] += row[k]
        for k in ("coal_t", "stoves", "amount"):
            totals[k] += Decimal(row[k])
    return {
        "supplier_id": supplier_id,
        "township_code": township_code,
        "month": month,
        "villages": out_villages,
        "totals": {
            "households": totals["households"],
            "slips": totals["slips"],
            "coal_t": str(totals["coal_t"].quantize(Decimal("0.001"))),
            "stoves": str(int(totals["stoves"])),
            "amount": str(money(totals["amount"])),
        },
    }


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def seal(
    s: Session, supplier_id: int, township_code: str, month: str, by: str, now: datetime
) -> SalesSummary:
    """Build and seal the month's summary (again, if it was returned)."""
    if s.get(Supplier, supplier_id) is None:
        raise DeliveryError("no_supplier", status=404, id=supplier_id)
    content = build(s, supplier_id, township_code, month)
    if not content["villages"]:
        raise DeliveryError("summary_empty", status=409, month=month)
    old = s.scalar(
        select(SalesSummary).where(
            SalesSummary.supplier_id == supplier_id,
            SalesSummary.township_code == township_code,
            SalesSummary.month == month,
        )
    )
    if old is not None and old.status != "returned":
        raise DeliveryError("summary_sealed", status=409, month=month, state=old.status)
    row = old or SalesSummary(supplier_id=supplier_id, township_code=township_code, month=month)
    row.content, row.digest, row.sealed_by, row.sealed_at, row.status = (
        content,
        digest(content),
        by,
        now,
        "sealed",
    )
    s.add(row)
    s.flush()
    return row


def review(
    s: Session,
    summary: SalesSummary,
    step: str,
    decision: str,
    reviewer: str,
    comment: str,
    now: datetime,
) -> SummaryReview:
    """One office's review; steps in order, each only on what is still sealed as built."""
    if WAITING_FOR.get(summary.status) != step:
        raise DeliveryError("review_order", status=409, step=step, state=summary.status)
    if decision not in ("approved", "returned"):
        raise DeliveryError("review_decision", decision=decision)
    if digest(summary.content) != summary.digest:
        raise DeliveryError("summary_tampered", status=409, id=summary.id)
    if build(s, summary.supplier_id, summary.township_code, summary.month) != summary.content:
        raise DeliveryError("summary_stale", status=409, month=summary.month)
    row = SummaryReview(
        summary_id=summary.id,
        step=step,
        decision=decision,
        reviewer=reviewer,
        comment=comment,
        at=now,
    )
    s.add(row)
    summary.status = APPROVED[step] if decision == "approved" else "returned"
    s.flush()
    return row


def reviews_of(s: Session, summary_id: int) -> list[SummaryReview]:
    return list(
        s.scalars(
            select(SummaryReview)
            .where(SummaryReview.summary_id == summary_id)
            .order_by(SummaryReview.id)
        )
    )


def summaries_in(s: Session, prefix: str, limit: int = 200) -> list[tuple[SalesSummary, str]]:
    """The region's summaries, newest month first, with their supplier's name."""
    rows = s.execute(
        select(SalesSummary, Supplier.name)
        .join(Supplier, Supplier.id == SalesSummary.supplier_id)
        .where(SalesSummary.township_code.startswith(prefix))
        .order_by(SalesSummary.month.desc(), SalesSummary.township_code, SalesSummary.id)
        .limit(limit)
    )
    return [(row, name) for row, name in rows]
