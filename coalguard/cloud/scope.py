"""Region scoping shared by the operators' routes."""

from __future__ import annotations

from datetime import UTC, datetime

from coalguard.cloud.api.problems import Problem
from coalguard.cloud.auth import Operator


def scoped_region(op: Operator, region: str | None) -> str:
    """``region`` (default: the caller's prefix), or 403 when outside the caller's."""
    region = region or op.region_prefix
    if not region.isdigit() and region != "":
        raise Problem(422, "region_digits")
    if not region.startswith(op.region_prefix):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")
    return region


def aware(dt: datetime | None) -> datetime | None:
    """Query times without a zone are taken as UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
