"""A household's coal purchases: the market's five-part forms whose buyer is its head.

The form keeps the buyer's ID number as the same keyed hash the register keeps
for the head of household (``market/sales.py`` ``id_hash``): the join needs no
plain number.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.households.tables import Household
from coalguard.cloud.market.sales_tables import Sale


def purchases_of(s: Session, h: Household, limit: int = 200) -> list[Sale]:
    if h.head_id_hash is None:
        return []
    q = select(Sale).where(Sale.buyer_id_hash == h.head_id_hash)
    return list(s.scalars(q.order_by(Sale.sold_on.desc(), Sale.id.desc()).limit(limit)))
