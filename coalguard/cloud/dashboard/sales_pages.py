"""View model of a sales point's books page (the clerk's forms, mobile-friendly; stock,
findings and recent forms). Buyers are masked as the API masks
them; the reveal button (clerk of the point, market supervision, admins) asks the API,
which audits it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from coalguard.cloud.access import BUYER_REVEALERS, SALES_RECORDERS
from coalguard.cloud.auth import Operator
from coalguard.cloud.market.books import books_view
from coalguard.cloud.market.points import may_record_sales
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.privacy import for_caller
from coalguard.edge.quality.profiles import COAL_TYPES


@dataclass(frozen=True)
class BooksPage:
    point: BusinessPoint
    may_sell: bool
    not_selling_reason: str | None  # a ``[market]`` key
    can_record: bool
    can_reveal: bool
    coal_types: tuple[str, ...]
    books: dict[str, Any]


def books_page(s: Session, op: Operator, p: BusinessPoint) -> BooksPage:
    allowed = may_record_sales(p)
    return BooksPage(
        point=p,
        may_sell=bool(allowed),
        not_selling_reason=allowed.reason,
        can_record=op.role in SALES_RECORDERS,
        can_reveal=op.role in BUYER_REVEALERS,
        coal_types=COAL_TYPES,
        books=for_caller(books_view(s, p), op.sees_personal_data),
    )
