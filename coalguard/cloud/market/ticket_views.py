"""What the ticket routes answer: the response model and the printed 过磅单's view model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.market.tickets import WeighTicket
from coalguard.edge.clock import local_text


class TicketOut(BaseModel):
    """A kept ticket (the API's shape; a sale record refers to ``id`` and checks ``net_kg``)."""

    id: int
    serial: str
    point_code: str
    point_name: str
    region_code: str
    scale_id: str
    scale_format: str
    plate: str
    gross_kg: float
    tare_kg: float
    net_kg: float
    gross_at: datetime
    tare_at: datetime
    recorded_by: str
    recorded_at: datetime
    client_id: str | None
    print_url: str


def ticket_view(t: WeighTicket, p: BusinessPoint) -> dict[str, Any]:
    return {
        "id": t.id,
        "serial": t.serial,
        "point_code": p.code,
        "point_name": p.name,
        "region_code": t.region_code,
        "scale_id": t.scale_id,
        "scale_format": t.scale_format,
        "plate": t.plate,
        "gross_kg": float(t.gross_kg),
        "tare_kg": float(t.tare_kg),
        "net_kg": float(t.net_kg),
        "gross_at": t.gross_at,
        "tare_at": t.tare_at,
        "recorded_by": t.recorded_by,
        "recorded_at": t.recorded_at,
        "client_id": t.client_id,
        "print_url": f"/market/tickets/{t.id}/print",
    }


def _tonnes(kg: Decimal) -> str:
    return f"{kg / 1000:.3f}"


def _kg(kg: Decimal) -> str:
    return f"{kg:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class PrintedTicket:
    """The 过磅单 as printed: weights in kg and t, local times, the first weighing first."""

    serial: str
    point_name: str
    point_code: str
    address: str
    plate: str
    scale: str
    rows: list[tuple[str, str, str, str]]  # (catalog key, kg, t, local time)
    net_kg: str
    net_t: str
    recorded_by: str
    recorded_at: str


def printed(t: WeighTicket, p: BusinessPoint) -> PrintedTicket:
    first, second = ("tare", "gross") if t.tare_at <= t.gross_at else ("gross", "tare")
    rows = [
        (
            f"weighbridge.{which}",
            _kg(getattr(t, f"{which}_kg")),
            _tonnes(getattr(t, f"{which}_kg")),
            local_text(getattr(t, f"{which}_at"), "%Y-%m-%d %H:%M:%S"),
        )
        for which in (first, second)
    ]
    return PrintedTicket(
        serial=t.serial,
        point_name=p.name,
        point_code=p.code,
        address=p.address,
        plate=t.plate,
        scale=f"{t.scale_id} ({t.scale_format})",
        rows=rows,
        net_kg=_kg(t.net_kg),
        net_t=_tonnes(t.net_kg),
        recorded_by=t.recorded_by,
        recorded_at=local_text(t.recorded_at, "%Y-%m-%d %H:%M:%S"),
    )
