"""Shared set-up of the sales tests: forms, buyers with valid ID numbers, a zone list."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy.orm import Session

from coalguard.cloud.market.idcard import check_digit
from coalguard.cloud.market.sales import PurchaseIn, SaleIn
from coalguard.cloud.zones import parse_csv, publish
from tests.cloud.market.market_support import NOW
from tests.cloud.ops_support import bearer

ZONE_VILLAGE = "622901100001"  # 东关村: a 禁煤区 (gas and electricity only)
OPEN_VILLAGE = "622901100002"


def id_number(seq: int = 1, birth: str = "19700101", region: str = "622901") -> str:
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + check_digit(first17)


def sale_in(serial: str, ticket: str = "T-1", **fields: Any) -> SaleIn:
    body: dict[str, Any] = {
        "serial_no": serial,
        "buyer_name": "马小军",
        "buyer_address": "临夏市城关镇 3 组",
        "buyer_village": OPEN_VILLAGE,
        "buyer_id": id_number(),
        "buyer_phone": "13912345678",
        "coal_type": "anthracite",
        "quantity_t": 1.5,
        "unit_price": 1200.0,
        "quality_report": "QR-2026-001",
        "ticket_id": ticket,
    }
    body.update(fields)
    return SaleIn(**body)


def purchase_in(tonnes: float = 30.0, coal_type: str = "anthracite") -> PurchaseIn:
    return PurchaseIn(
        contract_no="HT-2026-07",
        supplier="临夏煤业公司",
        quality_report="QR-2026-001",
        coal_type=coal_type,
        tonnes=tonnes,
    )


def no_coal_zone(s: Session) -> None:
    publish(
        s,
        version="linxia-2026",
        region_code="622901",
        published_on=date(2026, 5, 1),
        entries=parse_csv(
            f"name,kind,region_code,allowed_fuels\n东关村,禁煤区,{ZONE_VILLAGE},gas;electricity\n"
        ),
        source="临市府办发〔2023〕34号",
        by="market-1",
        now=NOW,
    )


def weighed_ticket(
    base: str, token: str, point_code: str, net_t: float, plate: str = "甘N12345"
) -> str:
    """A 过磅单 the point's weighbridge station posted (the cloud's ticket API): its serial."""
    tare = 12_000.0
    at = NOW.isoformat()
    body = {
        "point_code": point_code,
        "scale_id": "scale-1",
        "scale_format": "xk3190-a9",
        "plate": plate,
        "gross": {"kg": tare + net_t * 1000, "at": at, "stable": True},
        "tare": {"kg": tare, "at": at, "stable": True},
    }
    r = httpx.post(f"{base}/api/v1/market/tickets", json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    return str(r.json()["serial"])
