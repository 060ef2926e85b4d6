"""The sales point's station: reads the scale, records stable weighings on a clerk's action,
posts the ticket to the cloud with the clerk's credential.

Only a stable weight (``ScaleState.stable_kg``) can be recorded as gross or tare;
either may come first. The draft carries a ``client_id`` made once, so posting
again after a lost answer gives the same ticket, never a second.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import httpx

from coalguard.drivers.weighbridge import ScaleReader, ScaleState

Which = Literal["gross", "tare"]


class NotStable(Exception):
    """The scale shows no stable weight now (moving, silent or disconnected)."""


class StationRefused(Exception):
    """The cloud did not keep the ticket: its status and the problem's detail."""

    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail
        super().__init__(f"{status}: {detail}")


@dataclass
class TicketDraft:
    """What the clerk has recorded so far for one truck."""

    plate: str = ""
    weighings: dict[str, tuple[Decimal, datetime]] = field(default_factory=dict)
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def missing(self) -> list[str]:
        need = [w for w in ("tare", "gross") if w not in self.weighings]
        return (["plate"] if not self.plate else []) + need


class WeighStation:
    """One scale, one point, one clerk's credential."""

    def __init__(
        self,
        reader: ScaleReader,
        *,
        cloud_url: str,
        token: str,
        point_code: str,
        lang: str = "zh",
        timeout: float = 10.0,
    ) -> None:
        self.reader = reader
        self.point_code = point_code
        self.draft = TicketDraft()
        self._http = httpx.Client(
            base_url=cloud_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
            timeout=timeout,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=reader.run, args=(self._stop,), daemon=True)

    def start(self) -> WeighStation:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._http.close()

    def state(self) -> ScaleState:
        return self.reader.state()

    def record(self, which: Which) -> Decimal:
        """Take the stable weight now as the truck's gross or tare."""
        st = self.reader.state()
        kg = st.stable_kg
        if kg is None or st.last is None:
            raise NotStable(which)
        self.draft.weighings[which] = (kg, st.last.at)
        return kg

    def body(self) -> dict[str, Any]:
        """The ``POST /api/v1/market/tickets`` body of the draft."""
        return {
            "point_code": self.point_code,
            "scale_id": self.reader.scale_id,
            "scale_format": self.reader.fmt.id,
            "plate": self.draft.plate,
            "client_id": self.draft.client_id,
            **{
                which: {"kg": str(kg), "at": at.isoformat(), "stable": True}
                for which, (kg, at) in self.draft.weighings.items()
            },
        }

    def post(self) -> dict[str, Any]:
        """Send the ticket; a kept ticket starts a new draft."""
        r = self._http.post("/api/v1/market/tickets", json=self.body())
        if r.status_code not in (200, 201):
            try:
                detail = str(r.json().get("detail", r.text))
            except ValueError:
                detail = r.text[:200]
            raise StationRefused(r.status_code, detail)
        self.draft = TicketDraft()
        return r.json()
