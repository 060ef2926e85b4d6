"""Alert rules as data (``alert_rules.toml``): what opens and clears an alert, and
whether it escalates (who is reached, when and how: ``escalation.toml``)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
    model_validator,
)

from coalguard.datafile import FieldError, Integer, Number, load_model
from coalguard.drivers.co_alarm import EventType

OUTAGE_KIND = "area_outage"  # the incident of many alarms silent at once (``co/outage.py``)
DEFAULT_RULES = Path(__file__).with_name("alert_rules.toml")
# Each state field and the kind of value a condition compares it with: a rule
# comparing co_ppm with "100" or true would never hold and silence an alarm.
_FIELD_KINDS: dict[str, type] = {
    "alarm": str,
    "co_ppm": float,
    "battery_pct": float,
    "tamper": bool,
    "fault": str,
    "eol": bool,
}
STATE_FIELDS = tuple(_FIELD_KINDS)
_ORDERED = ("<", "<=", ">", ">=")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    field: str
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    value: StrictStr | Number | StrictBool

    @field_validator("field")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in STATE_FIELDS:
            raise ValueError(f"unknown state field {v!r}; known: {', '.join(STATE_FIELDS)}")
        return v

    @model_validator(mode="after")
    def _comparable(self) -> Condition:
        kind = _FIELD_KINDS[self.field]
        got = bool if isinstance(self.value, bool) else type(self.value)
        if kind is float and got is int:
            got = float
        if got is not kind:
            names = {str: "text", float: "a number", bool: "true or false"}
            raise FieldError(("value",), f"{self.field} is compared with {names[kind]}")
        if self.op in _ORDERED and kind is not float:
            raise FieldError(("op",), f"{self.field} has no order: use == or !=")
        return self

    def holds(self, state: dict[str, Any]) -> bool:
        """True when the state satisfies the condition (a null fault compares as "")."""
        v = state.get(self.field)
        if self.field == "fault" and v is None:
            v = ""
        try:
            return bool(_OPS[self.op](v, self.value))
        except TypeError:
            return False


class Rule(_Strict):
    kind: str = Field(pattern=r"^[a-z_]{2,32}$")
    severity: Literal["critical", "major", "minor"]
    events: list[EventType] = []
    state: list[Condition] = []
    availability: Literal["offline"] | None = None
    silent: StrictBool = False
    clear_events: list[EventType] = []
    clear_state: list[Condition] = []
    clear_availability: Literal["online"] | None = None
    clear_on_any_state: StrictBool = False
    auto_resolve: StrictBool = True
    escalate: StrictBool = False

    @model_validator(mode="after")
    def _alarm_resolved_by_a_person(self) -> Rule:
        if self.severity == "critical" and self.auto_resolve:
            raise FieldError(
                ("auto_resolve",), "a critical alert (a CO alarm) is resolved by a person: false"
            )
        return self

    def opened_by_state(self, state: dict[str, Any]) -> bool:
        return bool(self.state) and all(c.holds(state) for c in self.state)

    def cleared_by_state(self, state: dict[str, Any]) -> bool:
        if self.clear_on_any_state:
            return True
        return bool(self.clear_state) and all(c.holds(state) for c in self.clear_state)


class OutageArea(_Strict):
    """When the silent alarms of one area are one incident: a township (9-digit prefix)
    or a village (12-digit code) with at least ``min_count`` alarms and ``min_share``
    of its watched alarms not heard for the outage window."""

    level: Literal["township", "village"]
    min_count: Integer = Field(ge=2)
    min_share: Number = Field(gt=0, le=1)
    notify: list[str] = []  # escalation-step roles told once (``escalation.toml``'s ``who``)


class Outage(_Strict):
    """Correlated outages (``[outage]``): many alarms silent at once are one incident."""

    window_s: Number = Field(gt=0)  # not heard this long: counts towards an outage
    grace_s: Number = Field(ge=0)  # after recovery: still silent this long -> own alerts
    # A last will's "offline" alert waits this long: its area may be out (a power cut).
    offline_grace_s: Number = Field(ge=0)
    recovered_share: Number = Field(gt=0, le=1)  # of an area's alarms heard again
    min_watched: Integer = Field(ge=1)  # a fleet this small is never "blind"
    area: list[OutageArea] = Field(min_length=1)
    blind_notify: list[str] = []

    @model_validator(mode="after")
    def _broadest_first(self) -> Outage:
        levels = [a.level for a in self.area]
        if len(set(levels)) != len(levels):
            raise ValueError("one [[outage.area]] per level")
        return self.model_copy(
            update={"area": sorted(self.area, key=lambda a: a.level != "township")}
        )


class AlertRules(_Strict):
    version: Integer = Field(ge=1)
    heartbeat_s: Number = Field(gt=0)
    offline_after_heartbeats: Number = Field(gt=0)
    rule: list[Rule] = Field(min_length=1)
    outage: Outage | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AlertRules:
        kinds = [r.kind for r in self.rule]
        if len(set(kinds)) != len(kinds):
            raise ValueError("rule kinds must be unique")
        if self.outage is not None:
            if self.outage.window_s >= self.silence_s:
                raise FieldError(
                    ("outage", "window_s"), "must be shorter than an alarm's own silence"
                )
            if self.outage.offline_grace_s >= self.silence_s:
                raise FieldError(
                    ("outage", "offline_grace_s"), "must be shorter than an alarm's own silence"
                )
            if OUTAGE_KIND not in kinds:
                raise FieldError(("outage",), f"needs a [[rule]] of kind {OUTAGE_KIND!r}")
        return self

    @property
    def silence_s(self) -> float:
        return self.heartbeat_s * self.offline_after_heartbeats

    def by_kind(self, kind: str) -> Rule:
        return next(r for r in self.rule if r.kind == kind)


def load_rules(path: Path | None = None) -> AlertRules:
    """Load and validate the rules file (the shipped one when ``path`` is None)."""
    return load_model(path or DEFAULT_RULES, AlertRules)
