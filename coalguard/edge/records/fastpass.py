"""``fast_pass.loaded``: the gateway installed a fast-pass list."""

from __future__ import annotations

from pydantic import Field

from coalguard.edge.records.base import CheckpointRecord, register


@register
class FastPassLoaded(CheckpointRecord):
    KIND = "fast_pass.loaded"

    version: str
    trucks: int = Field(ge=0)
    source: str
    at: str
