"""What a sale needs of its weighbridge ticket (过磅单): which point weighed it and the
net weight. The tickets themselves are the weighbridge's (``POST /market/tickets``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class TicketFacts:
    ticket_id: str
    point_id: int
    net_t: float


def ticket_facts(s: Session, ticket_id: str) -> TicketFacts | None:
    """The ticket ``ticket_id`` names, or None when there is no such ticket."""
    return None  # wired to the weighbridge tickets when they land (scale15)
