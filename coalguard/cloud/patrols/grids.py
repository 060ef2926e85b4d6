"""The grid tree (R23): grids per village, township and county, and their members.

A grid's level is its region code's level (``cloud/scope.py``); its members are
contacts of the directory (one home for people) holding a grid role: 网格长
(leader), 网格员 (worker), 村委委员 (committee), 协查员 (inspector). A member's
contact must belong to the grid's region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.contacts.tables import Contact
from coalguard.cloud.patrols.frequency import GRID_ROLES
from coalguard.cloud.patrols.tables import Grid, GridMember
from coalguard.cloud.scope import region_level
from coalguard.errors import WordedInputError


class GridError(WordedInputError):
    """A grid or member the tree refuses, worded from the ``[patrols]`` table."""


def add_grid(s: Session, region_code: str, name: str, video_cover: bool, now: datetime) -> Grid:
    """A new grid for a village, township or county (one per region)."""
    if region_level(region_code) is None:
        raise GridError("patrols.grid_level", region=region_code)
    if s.scalar(select(Grid.id).where(Grid.region_code == region_code)) is not None:
        raise GridError("patrols.grid_exists", region=region_code)
    grid = Grid(region_code=region_code, name=name, video_cover=video_cover, created_at=now)
    s.add(grid)
    s.flush()
    return grid


def add_member(
    s: Session,
    grid: Grid,
    contact_id: int,
    grid_role: str,
    now: datetime,
    user_name: str | None = None,
) -> GridMember:
    """Give a directory contact a role in ``grid`` (the contact must be of its region)."""
    if grid_role not in GRID_ROLES:
        raise GridError("patrols.unknown_grid_role", role=grid_role, known=", ".join(GRID_ROLES))
    contact = s.get(Contact, contact_id)
    if contact is None or not contact.active:
        raise GridError("patrols.no_contact", contact=contact_id)
    if not contact.region_code.startswith(grid.region_code):
        raise GridError("patrols.contact_elsewhere", contact=contact_id, region=grid.region_code)
    member = GridMember(
        grid_id=grid.id,
        contact_id=contact_id,
        grid_role=grid_role,
        user_name=user_name,
        created_at=now,
    )
    s.add(member)
    s.flush()
    return member


def leader_of(s: Session, grid: Grid) -> Contact | None:
    """The grid's leader (网格长): the first active one, else None."""
    q = (
        select(Contact)
        .join(GridMember, GridMember.contact_id == Contact.id)
        .where(
            GridMember.grid_id == grid.id,
            GridMember.grid_role == "leader",
            GridMember.active.is_(True),
            Contact.active.is_(True),
        )
        .order_by(GridMember.id)
    )
    return s.scalars(q.limit(1)).first()


def grid_for(s: Session, region_code: str) -> Grid | None:
    return s.scalars(select(Grid).where(Grid.region_code == region_code)).first()


def role_of_user(s: Session, grid: Grid, user_name: str) -> str | None:
    """The grid role a signed-in user holds in ``grid`` (a phone's default), if any."""
    q = select(GridMember.grid_role).where(
        GridMember.grid_id == grid.id,
        GridMember.user_name == user_name,
        GridMember.active.is_(True),
    )
    return s.scalars(q.order_by(GridMember.id).limit(1)).first()


@dataclass
class GridNode:
    """One grid of the tree with its members (contact, role) and the grids under it."""

    grid: Grid
    members: list[tuple[GridMember, Contact]] = field(default_factory=list)
    children: list[GridNode] = field(default_factory=list)


def grid_tree(s: Session, region_prefix: str) -> list[GridNode]:
    """The grids under ``region_prefix`` nested by code (county → township → village)."""
    grids = list(
        s.scalars(
            select(Grid)
            .where(Grid.region_code.startswith(region_prefix))
            .order_by(Grid.region_code)
        )
    )
    nodes = {g.id: GridNode(g) for g in grids}
    q = (
        select(GridMember, Contact)
        .join(Contact, Contact.id == GridMember.contact_id)
        .where(GridMember.grid_id.in_(list(nodes)), GridMember.active.is_(True))
        .order_by(GridMember.id)
    )
    for m, c in s.execute(q).all():
        nodes[m.grid_id].members.append((m, c))
    by_code = {g.region_code: g for g in grids}
    roots: list[GridNode] = []
    for g in grids:
        parents = [by_code[g.region_code[:n]] for n in (9, 6) if g.region_code[:n] in by_code]
        parent = next((p for p in parents if p is not g), None)
        (nodes[parent.id].children if parent else roots).append(nodes[g.id])
    return roots
