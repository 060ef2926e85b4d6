"""The escalation policy as data (``escalation.toml``): who is reached, when, how.

Per region code prefix (the longest matching prefix wins, ``""`` is the
default), an ordered chain of steps. A step names the contact directory's role
to reach (``who``), the minutes after the alarm opened when it starts, the
channels in failover order and how often its people are reached again until
someone acknowledges. The one source of the chain: ``alert_rules.toml`` says
only which alerts escalate.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coalguard.datafile import FieldError, Integer, Number, load_model

DEFAULT_POLICY = Path(__file__).with_name("escalation.toml")

Who = Literal[
    "household",
    "grid_worker",
    "village_committee",
    "village_inspector",
    "township_on_call",
    "county_desk",
]
WHO: tuple[str, ...] = Who.__args__  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    """One rung of the chain."""

    who: Who
    after_min: Number = Field(ge=0)
    channels: list[str] = Field(min_length=1, max_length=4)
    repeat_min: Number = Field(gt=0)

    @model_validator(mode="after")
    def _channels(self) -> Step:
        for i, ch in enumerate(self.channels):
            if not ch or not ch.replace("_", "").isalnum() or ch != ch.lower():
                raise FieldError(("channels", i), f"{ch!r} is not a channel name")
        if len(set(self.channels)) != len(self.channels):
            raise FieldError(("channels",), "a channel is listed twice")
        return self

    def starts(self, opened_at: datetime) -> datetime:
        return opened_at + timedelta(minutes=self.after_min)

    def round_due(self, opened_at: datetime, now: datetime) -> int | None:
        """The latest round of this step due at ``now`` (0: the first), None before it starts."""
        elapsed = (now - self.starts(opened_at)).total_seconds()
        if elapsed < 0:
            return None
        return math.floor(elapsed / (self.repeat_min * 60))

    def next_channel(self, channel: str) -> str | None:
        """The channel after ``channel`` in failover order (None: the last was tried)."""
        if channel not in self.channels:
            return None
        i = self.channels.index(channel)
        return self.channels[i + 1] if i + 1 < len(self.channels) else None


class RegionPolicy(_Strict):
    region_prefix: str = Field(pattern=r"^[0-9]{0,12}$")
    step: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> RegionPolicy:
        for i in range(1, len(self.step)):
            if self.step[i].after_min < self.step[i - 1].after_min:
                raise FieldError(("step", i, "after_min"), "steps must be ordered by after_min")
        return self


class EscalationPolicy(_Strict):
    version: Integer = Field(ge=1)
    policy: list[RegionPolicy] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_and_unique(self) -> EscalationPolicy:
        prefixes = [p.region_prefix for p in self.policy]
        for i, p in enumerate(prefixes):
            if p in prefixes[:i]:
                raise FieldError(("policy", i, "region_prefix"), f"{p!r} appears twice")
        if "" not in prefixes:
            raise FieldError(
                ("policy",), 'a policy with region_prefix = "" (the default) is required'
            )
        return self

    def steps_for(self, region_code: str) -> list[Step]:
        """The chain of the longest region prefix matching ``region_code``."""
        best = max(
            (p for p in self.policy if region_code.startswith(p.region_prefix)),
            key=lambda p: len(p.region_prefix),
        )
        return best.step

    def scaled(self, factor: float) -> EscalationPolicy:
        """Every time divided by ``factor`` (time-compressed demos and tests)."""

        def step(st: Step) -> Step:
            times = {"after_min": st.after_min / factor, "repeat_min": st.repeat_min / factor}
            return st.model_copy(update=times)

        return self.model_copy(
            update={
                "policy": [
                    p.model_copy(update={"step": [step(st) for st in p.step]}) for p in self.policy
                ]
            }
        )

    def channels(self) -> set[str]:
        """Every channel any step names (the service warns about unconfigured ones)."""
        return {ch for p in self.policy for s in p.step for ch in s.channels}


def load_policy(path: Path | None = None) -> EscalationPolicy:
    """Load and validate the policy file (the shipped one when ``path`` is None)."""
    return load_model(path or DEFAULT_POLICY, EscalationPolicy)
