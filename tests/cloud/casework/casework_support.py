"""Shared set-up of the casework tests: a cloud app on SQLite under a ManualClock, with
tokens of Linxia's office and market supervision, and a published no-coal zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from coalguard.cloud.auth import issue_token
from coalguard.cloud.zones.lists import ZoneEntry, publish
from coalguard.edge.clock import ManualClock
from tests.cloud.market.market_support import LINXIA, NOW, TOWN
from tests.cloud.ops_support import bearer, make_app

VILLAGE = TOWN + "201"  # a village of the zone
OTHER_VILLAGE = TOWN + "202"  # outside any zone
CITY = LINXIA[:4]


@dataclass
class Cloud:
    app: FastAPI
    clock: ManualClock
    api: TestClient
    tokens: dict[str, str]

    def as_(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])


def casework_cloud(tmp_path: Path) -> Cloud:
    clock = ManualClock(NOW)
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", clock)
    tokens = {
        role: issue_token(app.state.sessions, f"{role}-linxia", CITY, role, now=NOW)
        for role in ("office", "market", "operator")
    }
    with app.state.sessions.begin() as s:
        publish(
            s,
            version="linxia-2026-1",
            region_code=LINXIA,
            published_on=date(2026, 5, 1),
            entries=[ZoneEntry(name="东关禁煤区", kind="no_coal", region_code=VILLAGE)],
            source="临夏市禁煤区划定公告",
            by="market-linxia",
            now=NOW,
        )
    return Cloud(app, clock, TestClient(app), tokens)
