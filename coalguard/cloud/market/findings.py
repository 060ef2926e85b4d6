"""Findings on a point from its books (R24, R25), each raising a market alert.

Checked when a sale is stored, in its transaction: a serial number used twice
(倒卖票据), a sale into a zone whose allowed fuels exclude the coal (禁煤区), a
buyer (by ID hash) beyond the household's quota this heating season, the form's
quantity not matching the ticket's net weight, the coal type's stock below zero.
Each finding is a row on the point and an alert through the one lifecycle
(``market/alerts.py`` → ``alert_lifecycle.py``); a repeat of the same condition
counts an occurrence on the active alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.market.alerts import raise_market_alert
from coalguard.cloud.market.sales_rules import SalesRules
from coalguard.cloud.market.sales_tables import Finding, Sale
from coalguard.cloud.market.stock import stock_of
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.zones import fuel_allowed, zone_for


def record_finding(
    s: Session,
    point: BusinessPoint,
    kind: str,
    subject: str,
    at: datetime,
    *,
    sale: Sale | None = None,
    detail: dict[str, Any] | None = None,
) -> Finding:
    """A finding on ``point`` and its alert (kind ``market.<kind>``, one per subject)."""
    detail = detail or {}
    alert = raise_market_alert(
        s,
        kind=f"market.{kind}",
        subject=subject,
        region_code=point.region_code,
        message=f"{point.code}: {kind} {subject}",
        at=at,
        point_id=point.id,
        detail=detail,
    )
    row = Finding(
        point_id=point.id,
        region_code=point.region_code,
        kind=kind,
        sale_id=sale.id if sale else None,
        subject=subject[:200],
        detail=detail,
        alert_id=alert.id,
        found_at=at,
    )
    s.add(row)
    s.flush()
    return row


def check_sale(
    s: Session, point: BusinessPoint, sale: Sale, rules: SalesRules, at: datetime
) -> list[Finding]:
    """Every finding the new ``sale`` makes on its point."""
    found: list[Finding] = []

    def add(kind: str, subject: str, **detail: Any) -> None:
        found.append(record_finding(s, point, kind, subject, at, sale=sale, detail=detail))

    earlier = s.scalars(
        select(Sale.id).where(Sale.serial_no == sale.serial_no, Sale.id != sale.id)
    ).all()
    if earlier:
        add("duplicate_serial", sale.serial_no, serial_no=sale.serial_no, sales=[*earlier, sale.id])

    zone = zone_for(s, sale.buyer_village, sale.sold_on)
    if not fuel_allowed(zone, sale.coal_type):
        assert zone is not None
        add(
            "zone_sale",
            f"sale-{sale.id}",
            village=sale.buyer_village,
            zone=zone.name,
            zone_kind=zone.kind,
            coal_type=sale.coal_type,
        )

    season_start = rules.season.start_on_or_before(sale.sold_on)
    bought = (
        s.scalar(
            select(func.sum(Sale.quantity_t)).where(
                Sale.buyer_id_hash == sale.buyer_id_hash, Sale.sold_on >= season_start
            )
        )
        or 0.0
    )
    quota = rules.quota_for(sale.buyer_village)
    if bought > quota + 1e-9:
        add(
            "over_quota",
            f"buyer-{sale.buyer_id_hash[:16]}-{season_start.isoformat()}",
            buyer=sale.buyer_id_masked,
            bought_t=round(bought, 3),
            quota_t=quota,
            season_start=season_start.isoformat(),
        )

    if sale.ticket_net_t is not None and not rules.weighing.matches(
        sale.quantity_t, sale.ticket_net_t
    ):
        add(
            "weight_mismatch",
            f"sale-{sale.id}",
            ticket_id=sale.ticket_id,
            quantity_t=sale.quantity_t,
            net_t=sale.ticket_net_t,
        )

    stock = stock_of(s, point.id).get(sale.coal_type, {}).get("stock", 0.0)
    if stock < -1e-9:
        add(
            "negative_stock",
            f"point-{point.id}-{sale.coal_type}",
            coal_type=sale.coal_type,
            stock_t=stock,
        )
    return found


def findings_of(s: Session, point_id: int, limit: int = 200) -> list[Finding]:
    q = select(Finding).where(Finding.point_id == point_id).order_by(Finding.id.desc())
    return list(s.scalars(q.limit(limit)))
