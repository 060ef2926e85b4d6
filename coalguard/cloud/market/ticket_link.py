"""What a sale needs of its weighbridge ticket (过磅单): which point weighed it and the
net weight. The tickets themselves are the weighbridge's (``cloud/market/tickets.py``,
``POST /api/v1/market/tickets``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.market.tickets import WeighTicket


@dataclass(frozen=True)
class TicketFacts:
    ticket_id: str
    point_id: int
    net_t: float


def ticket_facts(s: Session, ticket_id: str) -> TicketFacts | None:
    """The ticket ``ticket_id`` names: its printed serial (what the clerk copies from the
    paper, ``LX-001-20260610-0001``) or its number (``TicketOut.id``); None when none."""
    t = s.scalar(select(WeighTicket).where(WeighTicket.serial == ticket_id))
    if t is None and ticket_id.isdigit() and len(ticket_id) <= 18:
        t = s.get(WeighTicket, int(ticket_id))
    if t is None:
        return None
    return TicketFacts(ticket_id=t.serial, point_id=t.point_id, net_t=float(t.net_kg) / 1000)
