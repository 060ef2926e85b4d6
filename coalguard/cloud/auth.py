"""Users, roles and bearer tokens scoped to a region code prefix.

Chinese administrative division codes nest (province 2 digits, city 4, county
6, township 9, village 12), so a user of ``1301`` sees every county, township
and village of that city. One model for everyone: a ``cloud_user`` has a role
(``admin``, ``operator``, ``installer``, ``gateway``) and a region prefix; it
holds any number of tokens, stored only as SHA-256 hashes (a 192-bit random
token needs no slow hash). The dashboard's login opens a server-side
session cookie (``login_sessions.py``); which role may call which route is
declared on each route with ``access.allow`` (``access.py``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from coalguard.cloud.db import Base
from coalguard.cloud.scope import is_region_code
from coalguard.errors import WordedValueError


class Role(StrEnum):
    """What a user is; each route lists the roles it allows (``access.allow``)."""

    ADMIN = "admin"
    OPERATOR = "operator"
    INSTALLER = "installer"
    GATEWAY = "gateway"
    # The air-pollution office (大气办): reads its region, acknowledges lab referrals.
    OFFICE = "office"
    # Coal-market oversight (市场监管 / 煤炭办): plans sampling, records cases, reads the rates.
    MARKET = "market"
    # A coal sales point's clerk (销售网点): records purchases, sales and weighbridge tickets.
    CLERK = "clerk"
    # A coal-testing lab (化验室): enters sampling results.
    LAB = "lab"
    # A grid member (网格员, 村委委员, 协查员, 网格长) on a phone: records patrols of their grid.
    GRID = "grid"
    # A tendered delivery company (配送企业): records its slips, seals its monthly summary.
    SUPPLIER = "supplier"
    # The development and reform bureau (发改局): the delivery network, milestones, reviews.
    FDRC = "fdrc"
    # The finance bureau (财政局): the last review, subsidy allocations, payouts, settlement.
    FINANCE = "finance"


ROLES = tuple(r.value for r in Role)


class CloudUser(Base):
    """A person or machine that calls the cloud."""

    __tablename__ = "cloud_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="operator")
    region_prefix: Mapped[str] = mapped_column(String(12), default="")
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language of the user's pages and messages ("zh" | "en"); None: not chosen (Chinese).
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True, default=None)


class UserToken(Base):
    """One bearer token of a user; only its SHA-256 is kept."""

    __tablename__ = "cloud_user_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("cloud_user.id"), index=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class Operator:
    """Who is calling and which part of the country they may see."""

    name: str
    region_prefix: str
    role: str
    user_id: int | None = None
    personal_data: bool = False
    via_cookie: bool = False
    lang: str | None = None  # the user's own language setting, when chosen

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.region_prefix)

    @property
    def sees_personal_data(self) -> bool:
        """Admins, and users granted it, see ID-card and phone numbers unmasked."""
        return self.role == "admin" or self.personal_data


def token_hash(token: str) -> str:
    """SHA-256 of a token or session id: what is stored instead of it."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_user_fields(role: str, region_prefix: str) -> None:
    if role not in ROLES:
        raise WordedValueError("unknown_role", role=role, known=", ".join(ROLES))
    if not is_region_code(region_prefix):
        raise WordedValueError("region_prefix")


def add_user(
    s: Session,
    name: str,
    role: str,
    region_prefix: str,
    *,
    personal_data: bool = False,
    now: datetime,
) -> CloudUser:
    """Create a user inside the caller's transaction (ValueError when it exists).

    ``now``: the caller's clock (the app's in routes, the command's in the CLI).
    """
    check_user_fields(role, region_prefix)
    if not name.strip() or len(name) > 64:
        raise WordedValueError("user_name_length")
    if s.scalars(select(CloudUser).where(CloudUser.name == name)).first() is not None:
        raise WordedValueError("user_exists", name=name)
    user = CloudUser(
        name=name,
        role=role,
        region_prefix=region_prefix,
        personal_data=personal_data,
        created_at=now,
        revoked=False,
    )
    s.add(user)
    s.flush()
    return user


def new_token(s: Session, user: CloudUser, label: str = "", *, now: datetime) -> str:
    """A fresh token for ``user`` (shown once; only its hash is stored)."""
    if user.revoked:
        raise WordedValueError("user_revoked", name=user.name)
    token = "cgt_" + secrets.token_urlsafe(24)
    s.add(
        UserToken(
            token_hash=token_hash(token),
            user_id=user.id,
            label=label[:64],
            created_at=now,
            revoked=False,
        )
    )
    return token


def find_user(s: Session, name: str) -> CloudUser:
    user = s.scalars(select(CloudUser).where(CloudUser.name == name)).first()
    if user is None:
        raise WordedValueError("no_user", name=name)
    return user


def revoke_user(s: Session, name: str) -> int:
    """Revoke a user and every token it holds; returns how many tokens stopped."""
    user = find_user(s, name)
    user.revoked = True
    n = 0
    for t in s.scalars(select(UserToken).where(UserToken.user_id == user.id)):
        if not t.revoked:
            t.revoked = True
            n += 1
    return n


def issue_token(
    sessions: sessionmaker,
    name: str,
    region_prefix: str,
    role: str = "operator",
    *,
    now: datetime,
) -> str:
    """A token (shown once) for user ``name``, creating the user when new.

    An existing user keeps its role and region: asking for another is an error.
    """
    check_user_fields(role, region_prefix)
    with sessions.begin() as s:
        user = s.scalars(select(CloudUser).where(CloudUser.name == name)).first()
        if user is None:
            user = add_user(s, name, role, region_prefix, now=now)
        elif (user.role, user.region_prefix) != (role, region_prefix):
            raise WordedValueError(
                "user_differs", name=name, role=user.role, region=user.region_prefix or "*"
            )
        return new_token(s, user, now=now)


def lookup(s: Session, token: str) -> Operator | None:
    row = s.execute(
        select(CloudUser, UserToken.revoked)
        .join(UserToken, UserToken.user_id == CloudUser.id)
        .where(UserToken.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    user, token_revoked = row
    if token_revoked or user.revoked:
        return None
    return operator_of(user)


def operator_of(user: CloudUser, *, via_cookie: bool = False) -> Operator:
    return Operator(
        user.name,
        user.region_prefix,
        user.role,
        user.id,
        user.personal_data,
        via_cookie,
        lang=user.lang,
    )
