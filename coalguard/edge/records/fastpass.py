"""``fast_pass.loaded``: the gateway installed a fast-pass list."""

from __future__ import annotations

from pydantic import Field

from coalguard.edge.records.base import Record, register


@register
class FastPassLoaded(Record):
    KIND = "fast_pass.loaded"

    checkpoint_id: str = Field(min_length=1)
    version: str
    trucks: int = Field(ge=0)
    source: str
    at: str
