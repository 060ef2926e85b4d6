"""Region scoping shared by the operators' routes."""

from __future__ import annotations

from datetime import UTC, datetime

from coalguard.cloud.auth import Operator
from coalguard.cloud.refusal import Refusal, region_label


def scoped_region(op: Operator, region: str | None) -> str:
    """``region`` (default: the caller's prefix), or 403 when outside the caller's."""
    region = region or op.region_prefix
    if not region.isdigit() and region != "":
        raise Refusal(422, "region_digits")
    if not region.startswith(op.region_prefix):
        raise Refusal(403, "region_see", region=region_label(op.region_prefix))
    return region


def aware(dt: datetime | None) -> datetime | None:
    """Query times without a zone are taken as UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
