"""A point's stock per coal type: tonnes in (purchases) minus tonnes out (sales).

进销货数量清楚 (R25): the books reconcile when no coal type goes below zero; a
negative stock means coal was sold that the books never saw come in.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.market.sales_tables import Purchase, Sale


def stock_of(s: Session, point_id: int) -> dict[str, dict[str, float]]:
    """Per coal type: ``{"in": t, "out": t, "stock": t}`` (tonnes, rounded to kg)."""
    ins = dict(
        s.execute(
            select(Purchase.coal_type, func.sum(Purchase.tonnes))
            .where(Purchase.point_id == point_id)
            .group_by(Purchase.coal_type)
        ).all()
    )
    outs = dict(
        s.execute(
            select(Sale.coal_type, func.sum(Sale.quantity_t))
            .where(Sale.point_id == point_id)
            .group_by(Sale.coal_type)
        ).all()
    )
    return {
        t: {
            "in": round(ins.get(t) or 0.0, 3),
            "out": round(outs.get(t) or 0.0, 3),
            "stock": round((ins.get(t) or 0.0) - (outs.get(t) or 0.0), 3),
        }
        for t in sorted(set(ins) | set(outs))
    }
