"""A point's books as one view: purchases, forms (buyers masked), stock per coal type,
findings, and whether it may sell now (the API and the books page share it)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from coalguard.cloud.market.findings import findings_of
from coalguard.cloud.market.points import may_record_sales
from coalguard.cloud.market.sales import purchases_of, sales_of
from coalguard.cloud.market.sales_schemas import (
    BooksOut,
    FindingOut,
    PurchaseOut,
    SaleOut,
    StockRow,
)
from coalguard.cloud.market.stock import stock_of
from coalguard.cloud.market.tables import BusinessPoint


def books_view(s: Session, p: BusinessPoint) -> BooksOut:
    return BooksOut(
        point_id=p.id,
        point_code=p.code,
        may_sell=bool(may_record_sales(p)),
        purchases=[PurchaseOut.model_validate(r) for r in purchases_of(s, p.id)],
        sales=[SaleOut.model_validate(r) for r in sales_of(s, p.id)],
        stock=[
            StockRow(coal_type=t, tonnes_in=v["in"], tonnes_out=v["out"], stock=v["stock"])
            for t, v in stock_of(s, p.id).items()
        ],
        findings=[FindingOut.model_validate(f) for f in findings_of(s, p.id)],
    )
