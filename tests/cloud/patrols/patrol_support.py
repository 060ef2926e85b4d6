"""Shared set-up of the patrol tests: a Hebei village grid with a leader and a worker."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from coalguard.cloud.contacts.directory import ContactIn, add_contact
from coalguard.cloud.households.register import HouseholdIn, add_household
from coalguard.cloud.patrols.grids import add_grid, add_member

VILLAGE = "130102001001"  # a village of 长安区, 石家庄 (Hebei: weekly, 3 days without cover)
OTHER_VILLAGE = "130102001002"
JIAOZUO_VILLAGE = "410802001001"  # a village of 焦作 (committee members weekly)
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 2 November, 09:00 in Hebei
LEADER_PHONE, WORKER_PHONE = "13800000001", "13800000002"


def village_grid(
    app: FastAPI, village: str = VILLAGE, video_cover: bool = True, user: str = "grid-1"
) -> tuple[int, int]:
    """A grid for ``village`` with a leader and a worker (signing in as ``user``); returns
    (grid id, leader contact id)."""
    with app.state.sessions.begin() as s:
        leader = add_contact(
            s, app.state.keyring,
            ContactIn(role="grid_worker", region_code=village, name="王网格长", phone=LEADER_PHONE),
            NOW,
        )  # fmt: skip
        worker = add_contact(
            s, app.state.keyring,
            ContactIn(role="grid_worker", region_code=village, name="李网格员", phone=WORKER_PHONE),
            NOW,
        )  # fmt: skip
        grid = add_grid(s, village, "村网格", video_cover, NOW)
        add_member(s, grid, leader.id, "leader", NOW)
        add_member(s, grid, worker.id, "worker", NOW, user_name=user)
        return grid.id, leader.id


def households(app: FastAPI, village: str = VILLAGE, n: int = 3) -> list[int]:
    """``n`` households of the register in ``village``; their ids."""
    with app.state.sessions.begin() as s:
        rows = []
        for i in range(1, n + 1):
            body = HouseholdIn(
                village_code=village, head_name=f"张{i}", address=f"{i} 号", category="new_coal"
            )
            rows.append(add_household(s, app.state.keyring, body, "clerk", NOW))
        s.flush()
        return [h.id for h in rows]
