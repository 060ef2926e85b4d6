"""The delivery network (县有中心、乡有站、村有点, seed 000 三 (四)) and its gaps.

A site's level must match its region code's level: a centre on a county, a
station on a township, a point on a village. A village of a county with no
point is a gap, listed so nobody is missed (不漏一村).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.delivery.errors import DeliveryError
from coalguard.cloud.delivery.tables import Site, Supplier
from coalguard.cloud.scope import ancestor, region_level

LEVEL_OF_SITE = {"centre": "county", "station": "township", "point": "village"}


def add_supplier(
    s: Session,
    *,
    name: str,
    region_code: str,
    tender_no: str,
    tendered_on: date | None,
    contract_no: str,
    contract_signed_on: date | None,
    quality_guarantee: str,
    now: datetime,
) -> Supplier:
    sup = Supplier(
        name=name,
        region_code=region_code,
        tender_no=tender_no,
        tendered_on=tendered_on,
        contract_no=contract_no,
        contract_signed_on=contract_signed_on,
        quality_guarantee=quality_guarantee,
        created_at=now,
    )
    s.add(sup)
    s.flush()
    return sup


def add_site(
    s: Session, *, level: str, region_code: str, name: str, supplier_id: int | None, now: datetime
) -> Site:
    """A centre, station or point; refused where the code is not of the level's kind."""
    want = LEVEL_OF_SITE.get(level)
    if want is None:
        raise DeliveryError("site_level", level=level)
    if region_level(region_code) != want:
        raise DeliveryError("site_region", level=level, code=region_code)
    if supplier_id is not None and s.get(Supplier, supplier_id) is None:
        raise DeliveryError("no_supplier", status=404, id=supplier_id)
    site = Site(
        level=level, region_code=region_code, name=name, supplier_id=supplier_id, created_at=now
    )
    s.add(site)
    s.flush()
    return site


def tendered(s: Session, supplier_id: int, region_code: str) -> bool:
    """Whether the supplier won a tender of a region containing ``region_code``."""
    sup = s.get(Supplier, supplier_id)
    return bool(sup and sup.tendered_on and region_code.startswith(sup.region_code))


def gaps(s: Session, villages: list[str]) -> list[str]:
    """The villages (of those given) with no delivery point, and the townships with no station."""
    points = set(s.scalars(select(Site.region_code).where(Site.level == "point")))
    stations = set(s.scalars(select(Site.region_code).where(Site.level == "station")))
    missing = [v for v in villages if v not in points]
    townships = sorted({ancestor(v, "township") for v in villages} - stations)
    return [*townships, *missing]
