"""What the sales, findings and case routes answer. Buyer names are ``PersonName``
(masked unless the caller may see personal data); ID numbers and phones are always
their stored masked forms: the plain values only through the audited reveal."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from coalguard.cloud.privacy import PersonName


class _Rows(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PurchaseOut(_Rows):
    id: int
    point_id: int
    contract_no: str
    supplier: str
    quality_report: str
    coal_type: str
    tonnes: float
    received_on: date
    recorded_by: str
    recorded_at: datetime


class SaleOut(_Rows):
    id: int
    point_id: int
    serial_no: str
    buyer_name: PersonName
    buyer_address: str
    buyer_village: str
    buyer_id_masked: str
    buyer_phone_masked: str
    coal_type: str
    quantity_t: float
    unit_price: float
    amount: float
    quality_report: str
    ticket_id: str
    ticket_net_t: float | None
    sold_on: date
    recorded_by: str
    recorded_at: datetime


class FindingOut(_Rows):
    id: int
    point_id: int
    region_code: str
    kind: str
    sale_id: int | None
    subject: str
    detail: dict[str, Any]
    alert_id: int | None
    found_at: datetime


class SaleRecorded(BaseModel):
    """A stored form and the findings it made on the point."""

    sale: SaleOut
    findings: list[FindingOut]


class StockRow(BaseModel):
    coal_type: str
    tonnes_in: float
    tonnes_out: float
    stock: float


class BooksOut(BaseModel):
    """A point's books: what came in, what went out, the stock, what was found."""

    point_id: int
    point_code: str
    may_sell: bool
    purchases: list[PurchaseOut]
    sales: list[SaleOut]
    stock: list[StockRow]
    findings: list[FindingOut]


class BuyerRevealOut(BaseModel):
    """The plain ID number and phone of one sale's buyer (the reveal is audited)."""

    sale_id: int
    buyer_id: str
    buyer_phone: str


class ClerkOut(BaseModel):
    user_name: str
    point_id: int


class CaseEventOut(_Rows):
    action: str
    by: str
    at: datetime
    detail: dict[str, Any]


class CaseOut(_Rows):
    id: int
    point_id: int | None
    subject_kind: str
    subject_ref: str | None
    region_code: str
    violation: str
    origin: str
    finding_id: int | None
    sample_ref: str | None
    summary: str
    step: str
    step_since: date
    deadline: date | None
    status: str
    outcome: str | None
    seized_t: float
    handed_over_t: float = 0.0
    disposal: str | None
    published_on: date | None
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    events: list[CaseEventOut] = []


class HandoverOut(_Rows):
    id: int
    case_id: int
    tonnes: float
    receiver: str
    handed_on: date
    recorded_by: str


class CaseDisposalOut(BaseModel):
    region: str
    start: date
    end: date
    opened: int
    disposed: int
    rate: float | None
    open_cases: list[int]
