"""Region scoping shared by the operators' routes."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import HTTPException

from coalguard.cloud.auth import Operator


def scoped_region(op: Operator, region: str | None) -> str:
    """``region`` (default: the caller's prefix), or 403 when outside the caller's."""
    region = region or op.region_prefix
    if not region.isdigit() and region != "":
        raise HTTPException(422, "region: must be digits of a region code")
    if not region.startswith(op.region_prefix):
        raise HTTPException(403, f"you may see region {op.region_prefix or '(all)'} only")
    return region


def aware(dt: datetime | None) -> datetime | None:
    """Query times without a zone are taken as UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
