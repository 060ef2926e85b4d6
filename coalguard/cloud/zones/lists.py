"""Publishing a zone list (CSV or a TOML data file) and asking which zone a village is in.

A list is all or nothing: any refused row names its line and field and nothing
is stored. Zones are looked up by the longest listed prefix of a village code in
the newest list published on or before the day asked about, among the lists of
the regions that contain the village.
"""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard import validation
from coalguard.cloud.scope import is_region_code
from coalguard.cloud.zones.tables import ZoneArea, ZoneList
from coalguard.edge import listfile, zonelist
from coalguard.edge.quality.profiles import COAL_TYPES
from coalguard.edge.zonelist import KINDS
from coalguard.errors import WordedInputError
from coalguard.i18n import LANGS, t

# Fuels a zone may allow: the quality engine's coal types plus the clean routes.
FUELS = (*COAL_TYPES, "gas", "electricity", "biomass")
COLUMNS = ("name", "kind", "region_code", "allowed_fuels")


class ZoneError(WordedInputError):
    """A zone list refused: the row (line) and what is wrong."""

    section = "zones"


class ZoneEntry(BaseModel):
    """One listed area as imported."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", max_length=200)
    kind: str
    region_code: str = Field(min_length=6, max_length=12)
    allowed_fuels: tuple[str, ...] = ()

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: object) -> object:
        if isinstance(v, str):
            v = _KIND_WORDS.get(v.strip().lower(), v.strip())
        if v not in KINDS:
            raise ValueError(f"{v!r} is not one of {', '.join(KINDS)}")
        return v

    @field_validator("region_code")
    @classmethod
    def _region(cls, v: str) -> str:
        if not is_region_code(v):
            raise ValueError(f"{v!r} is not a region code")
        return v

    @field_validator("allowed_fuels", mode="before")
    @classmethod
    def _fuels(cls, v: object) -> object:
        if isinstance(v, str):
            v = [p.strip() for p in v.replace("；", ";").split(";") if p.strip()]
        for f in v or ():  # type: ignore[union-attr]
            if f not in FUELS:
                raise ValueError(f"{f!r} is not a fuel ({', '.join(FUELS)})")
        return tuple(v or ())  # type: ignore[arg-type]


_KIND_WORDS = {t(f"zones.kind_{k}", lang).lower(): k for k in KINDS for lang in LANGS}


def _entries(rows: list[tuple[int, dict[str, object]]]) -> list[ZoneEntry]:
    entries: list[ZoneEntry] = []
    for line, row in rows:
        try:
            entries.append(ZoneEntry.model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err.get("loc", ())) or "row"
            raise ZoneError(
                "row_refused", line=line, field=loc, reason=validation.FieldReason(err)
            ) from None
    if not entries:
        raise ZoneError("empty")
    seen: set[str] = set()
    for (line, _), e in zip(rows, entries, strict=True):
        if e.region_code in seen:
            raise ZoneError("row_duplicate", line=line, region=e.region_code)
        seen.add(e.region_code)
    return entries


def parse_csv(text: str) -> list[ZoneEntry]:
    """A CSV list (header ``name,kind,region_code,allowed_fuels``; fuels split by ``;``)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("kind", "region_code") if c not in (reader.fieldnames or ())]
    if missing:
        raise ZoneError("columns", missing=", ".join(missing), expected=", ".join(COLUMNS))
    rows = [
        (reader.line_num, {k: (v or "").strip() for k, v in r.items() if k in COLUMNS})
        for r in reader
    ]
    return _entries(rows)


def parse_toml(text: str) -> list[ZoneEntry]:
    """A data file: ``[[zone]]`` tables with the CSV's fields (``allowed_fuels`` a list)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ZoneError("toml", detail=str(exc)) from None
    zones = doc.get("zone")
    if not isinstance(zones, list):
        raise ZoneError("empty")
    return _entries([(i + 1, z) for i, z in enumerate(zones)])


def publish(
    s: Session,
    *,
    version: str,
    region_code: str,
    published_on: date,
    entries: list[ZoneEntry],
    source: str,
    by: str,
    now: datetime,
) -> ZoneList:
    """Store a new version (a version name is used once: a list is never edited)."""
    if not version.strip() or len(version) > 64:
        raise ZoneError("version")
    if s.scalar(select(ZoneList.id).where(ZoneList.version == version)) is not None:
        raise ZoneError("version_exists", version=version)
    outside = [e.region_code for e in entries if not e.region_code.startswith(region_code)]
    if outside:
        raise ZoneError("outside_region", region=region_code, codes=", ".join(outside[:5]))
    zl = ZoneList(
        version=version,
        region_code=region_code,
        published_on=published_on,
        source=source[:200],
        imported_by=by[:64],
        imported_at=now,
    )
    s.add(zl)
    s.flush()
    s.add_all(
        ZoneArea(
            list_id=zl.id,
            name=e.name,
            kind=e.kind,
            region_code=e.region_code,
            allowed_fuels=list(e.allowed_fuels),
        )
        for e in entries
    )
    s.flush()
    return zl


def current_lists(s: Session, village: str, on: date) -> list[ZoneList]:
    """Per issuing region containing ``village``, its newest list published by ``on``."""
    newest: dict[str, ZoneList] = {}
    q = select(ZoneList).where(ZoneList.published_on <= on).order_by(ZoneList.published_on)
    for zl in s.scalars(q):
        if village.startswith(zl.region_code):
            newest[zl.region_code] = zl  # later publish dates replace earlier ones
    return list(newest.values())


def lists_for_area(s: Session, scope: str, on: date) -> list[ZoneList]:
    """Per issuing region within (or above) ``scope``, its newest list published by ``on``."""
    newest: dict[str, ZoneList] = {}
    q = select(ZoneList).where(ZoneList.published_on <= on).order_by(ZoneList.published_on)
    for zl in s.scalars(q):
        if zl.region_code.startswith(scope) or scope.startswith(zl.region_code):
            newest[zl.region_code] = zl
    return list(newest.values())


def gateway_list(s: Session, scope: str, on: date) -> zonelist.ZoneList:
    """The zone list a checkpoint pulls: every area of the lists in force in ``scope`` on ``on``.

    Where two lists name the same code, the later published one wins.
    """
    by_code: dict[str, zonelist.ZonedVillage] = {}
    for zl in sorted(lists_for_area(s, scope, on), key=lambda z: (z.published_on, z.id)):
        for a in s.scalars(select(ZoneArea).where(ZoneArea.list_id == zl.id)):
            by_code[a.region_code] = zonelist.ZonedVillage(
                code=a.region_code,
                name=a.name,
                kind=a.kind,
                allowed_fuels=tuple(a.allowed_fuels),
                published_on=zl.published_on,
                list_version=zl.version,
            )
    villages = [by_code[c] for c in sorted(by_code)]
    return zonelist.ZoneList(version=listfile.version_of(villages, on), villages=villages)


def zone_for(s: Session, village: str, on: date) -> ZoneArea | None:
    """The zone ``village`` lies in on day ``on`` (longest listed prefix), or None."""
    lists = [zl.id for zl in current_lists(s, village, on)]
    if not lists:
        return None
    prefixes = [village[:k] for k in range(len(village), 5, -1)]
    areas = s.scalars(
        select(ZoneArea).where(ZoneArea.list_id.in_(lists), ZoneArea.region_code.in_(prefixes))
    ).all()
    return max(areas, key=lambda a: len(a.region_code), default=None)


def fuel_allowed(area: ZoneArea | None, fuel: str) -> bool:
    """Whether ``fuel`` may be sold into the area (anywhere outside a zone: yes)."""
    return area is None or fuel in area.allowed_fuels
