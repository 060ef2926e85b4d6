"""Business points: add, change, start and accept a rectification, and whether a point
may record sales (R25: no trading under rectification until it is accepted).

Every word a point carries (kind, status, facility, zone, coal type) is checked
against the vocabulary (``vocabulary.toml``) and the quality engine's coal types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.market.vocabulary import vocabulary
from coalguard.cloud.scope import is_region_code
from coalguard.edge.quality.profiles import COAL_TYPES
from coalguard.errors import WordedValueError
from coalguard.i18n import DEFAULT_LANG, t


class MarketError(WordedValueError):
    """What coal-market oversight refuses, worded from the ``[market]`` catalog table."""

    section = "market"


# Where each field's words live in the catalogs (``market.kind_<key>``, ``coal_type.<key>``).
WORD_PREFIX = {
    "kind": "market.kind_",
    "status": "market.status_",
    "pending_change": "market.pending_",
    "facilities": "market.facility_",
    "zones": "market.zone_",
    "coal_types": "coal_type.",
}


@dataclass(frozen=True)
class CatalogWords:
    """Keys a refusal names, said as their catalog words in the reader's language."""

    prefix: str
    keys: tuple[str, ...]

    def text(self, lang: str | None = None) -> str:
        sep = "、" if (lang or DEFAULT_LANG) == "zh" else ", "
        return sep.join(t(f"{self.prefix}{k}", lang or DEFAULT_LANG) for k in self.keys)

    def __str__(self) -> str:
        return self.text("en")


def one_of(value: str, known: list[str] | tuple[str, ...], field: str) -> str:
    """``value`` when it is one of the ``known`` keys of ``field``, else a worded refusal."""
    if value not in known:
        raise MarketError(
            "unknown_word",
            what=CatalogWords("market.col_", (field,)),
            value=value,
            known=CatalogWords(WORD_PREFIX[field], tuple(known)),
        )
    return value


def _all_of(values: list[str], known: list[str] | tuple[str, ...], field: str) -> list[str]:
    return sorted({one_of(v, known, field) for v in values})


class PointFields(BaseModel):
    """The fields a point's form, the API and an import row share (all optional: a patch)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = None
    licence: str | None = Field(None, max_length=64)
    region_code: str | None = None
    address: str | None = Field(None, max_length=300)
    operator_name: str | None = Field(None, max_length=100)
    status: str | None = None
    pending_change: str | None = None
    pledge_posted: bool | None = None
    pledge_posted_on: date | None = None
    facilities: list[str] | None = None
    zones: list[str] | None = None
    coal_types: list[str] | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        return None if v is None else one_of(v, vocabulary().kinds, "kind")

    @field_validator("status")
    @classmethod
    def _status(cls, v: str | None) -> str | None:
        return None if v is None else one_of(v, vocabulary().statuses, "status")

    @field_validator("pending_change")
    @classmethod
    def _pending(cls, v: str | None) -> str | None:
        return v and one_of(v, vocabulary().pending_changes, "pending_change")

    @field_validator("facilities")
    @classmethod
    def _facilities(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _all_of(v, vocabulary().facilities, "facilities")

    @field_validator("zones")
    @classmethod
    def _zones(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _all_of(v, vocabulary().zones, "zones")

    @field_validator("coal_types")
    @classmethod
    def _coal_types(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _all_of(v, COAL_TYPES, "coal_types")

    @field_validator("region_code")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and (not is_region_code(v) or len(v) < 6):
            raise MarketError("point_region", region=v)
        return v


class PointIn(PointFields):
    """A new point: its code, name, kind and region are required."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: str
    region_code: str


_PATCHABLE = tuple(PointFields.model_fields)


def add_point(s: Session, body: PointIn, who: str, now: datetime) -> BusinessPoint:
    """Store a new point; its code must be new."""
    if s.scalar(select(BusinessPoint.id).where(BusinessPoint.code == body.code)) is not None:
        raise MarketError("point_exists", code=body.code)
    p = BusinessPoint(code=body.code, created_by=who[:64], created_at=now, updated_at=now)
    p.status, p.address = "trading", ""
    p.facilities, p.zones, p.coal_types = [], [], []
    p.pledge_posted = False
    _apply(p, body, now)
    s.add(p)
    s.flush()
    return p


def update_point(s: Session, p: BusinessPoint, patch: PointFields, now: datetime) -> BusinessPoint:
    """Change the fields ``patch`` names. Rectification has its own two steps."""
    if patch.status == "rectifying" and p.status != "rectifying":
        raise MarketError("rectify_by_step")
    if p.status == "rectifying" and patch.status not in (None, "rectifying", "shut"):
        raise MarketError("rectify_open", code=p.code)
    _apply(p, patch, now)
    s.flush()
    return p


def _apply(p: BusinessPoint, patch: PointFields, now: datetime) -> None:
    for name in _PATCHABLE:
        if name in patch.model_fields_set:
            value = getattr(patch, name)
            if value is None and name in ("name", "kind", "region_code", "status"):
                continue
            setattr(p, name, value)
    if p.status != "dormant":
        p.pending_change = None
    p.updated_at = now


def start_rectification(
    s: Session, p: BusinessPoint, reason: str, due: date, now: datetime
) -> BusinessPoint:
    """Order a point to rectify (整改) by ``due``: it may not trade until accepted."""
    if p.status == "shut":
        raise MarketError("point_shut", code=p.code)
    p.status = "rectifying"
    p.rectification_reason = reason
    p.rectification_due = due
    p.rectification_started_at = now
    p.rectification_accepted_at = None
    p.updated_at = now
    s.flush()
    return p


def accept_rectification(s: Session, p: BusinessPoint, now: datetime) -> BusinessPoint:
    """The rectification passed its acceptance (整改验收): the point trades again."""
    if p.status != "rectifying":
        raise MarketError("not_rectifying", code=p.code)
    p.status = "trading"
    p.rectification_accepted_at = now
    p.updated_at = now
    s.flush()
    return p


@dataclass(frozen=True)
class SalesPermission:
    """Whether a point may record a sale now; ``reason`` a ``[market]`` catalog key when not."""

    allowed: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


def may_record_sales(point: BusinessPoint) -> SalesPermission:
    """A point records sales only while trading: not under rectification (until it is
    accepted), not dormant, not shut (取缔)."""
    if point.status in vocabulary().trading_statuses:
        return SalesPermission(True)
    return SalesPermission(False, f"no_sales_{point.status}")


def point_by_code(s: Session, code: str) -> BusinessPoint | None:
    return s.scalars(select(BusinessPoint).where(BusinessPoint.code == code)).first()


def points_in(
    s: Session, region: str, *, kind: str | None = None, status: str | None = None
) -> list[BusinessPoint]:
    """The points of a region (prefix), by region then code."""
    q = select(BusinessPoint).where(BusinessPoint.region_code.startswith(region))
    if kind:
        q = q.where(BusinessPoint.kind == kind)
    if status:
        q = q.where(BusinessPoint.status == status)
    return list(s.scalars(q.order_by(BusinessPoint.region_code, BusinessPoint.code)))
