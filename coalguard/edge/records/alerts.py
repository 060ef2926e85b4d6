"""Checkpoint alerts raised and cleared at the gateway."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_serializer, model_validator

from coalguard.edge.records.base import CheckpointRecord, register

_RAISED = ("checkpoint_id", "alert_id", "kind", "subject", "message", "at")


class _AlertRecord(CheckpointRecord):
    """What names an alert, raised or cleared: its id, kind, subject and time."""

    alert_id: str = Field(min_length=1)
    kind: str
    subject: str
    at: str


@register
class AlertRaised(_AlertRecord):
    """An alert opened; ``detail`` travels flattened beside the named fields (today's shape)."""

    KIND = "alert.raised"

    message: str
    detail: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or "detail" in raw:
            return raw
        return {
            **{k: v for k, v in raw.items() if k in _RAISED},
            "detail": {k: v for k, v in raw.items() if k not in _RAISED},
        }

    @model_serializer(mode="wrap")
    def _flatten(self, handler: Any) -> dict[str, Any]:
        out = handler(self)
        return {**out.pop("detail"), **out}


@register
class AlertCleared(_AlertRecord):
    KIND = "alert.cleared"

    reason: str
