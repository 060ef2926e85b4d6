"""Sales-point rules as data (``sales_rules.toml``): quotas, weighing tolerance,
violation types and the penalty ladder, so a county changes them without code."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coalguard.cloud.scope import is_region_code
from coalguard.datafile import FieldError, Integer, Number, load_model

DEFAULT_RULES = Path(__file__).with_name("sales_rules.toml")
FINDING_KINDS = (
    "duplicate_serial",
    "zone_sale",
    "over_quota",
    "weight_mismatch",
    "negative_stock",
)
LADDER_STEPS = ("rectify", "seal", "shut")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weighing(_Strict):
    tolerance_t: Number = Field(ge=0)
    tolerance_pct: Number = Field(ge=0, le=100)

    def matches(self, quantity_t: float, net_t: float) -> bool:
        """Whether the form's quantity agrees with the ticket's net weight."""
        allowed = max(self.tolerance_t, abs(net_t) * self.tolerance_pct / 100)
        return abs(quantity_t - net_t) <= allowed + 1e-9


class Quota(_Strict):
    region: str
    tonnes: Number = Field(gt=0)

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not is_region_code(v):
            raise ValueError(f"{v!r} is not a region code prefix")
        return v


class Season(_Strict):
    starts: str = Field(pattern=r"^\d\d-\d\d$")

    def start_on_or_before(self, day: date) -> date:
        """The first day of the heating season ``day`` belongs to."""
        month, dom = (int(p) for p in self.starts.split("-"))
        start = date(day.year, month, dom)
        return start if start <= day else date(day.year - 1, month, dom)


class Violation(_Strict):
    code: str = Field(pattern=r"^[a-z_]{2,32}$")
    finding: list[str] = Field(default_factory=list)

    @field_validator("finding")
    @classmethod
    def _findings(cls, v: list[str]) -> list[str]:
        for i, kind in enumerate(v):
            if kind not in FINDING_KINDS:
                raise FieldError((i,), f"{kind!r} is not a finding kind")
        return v


class LadderStep(_Strict):
    step: str
    days: Integer = Field(ge=0, le=365)

    @field_validator("step")
    @classmethod
    def _step(cls, v: str) -> str:
        if v not in LADDER_STEPS:
            raise ValueError(f"{v!r} is not one of {', '.join(LADDER_STEPS)}")
        return v


class SalesRules(_Strict):
    version: str = Field(min_length=1, max_length=32)
    weighing: Weighing
    quota: list[Quota] = Field(min_length=1)
    season: Season
    violation: list[Violation] = Field(min_length=1)
    ladder: list[LadderStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _whole(self) -> SalesRules:
        if "" not in {q.region for q in self.quota}:
            raise FieldError(("quota",), 'a default quota (region = "") is needed')
        if [s.step for s in self.ladder] != list(LADDER_STEPS):
            raise FieldError(("ladder",), f"the steps are {' → '.join(LADDER_STEPS)}, in order")
        codes = [v.code for v in self.violation]
        if len(set(codes)) != len(codes):
            raise FieldError(("violation",), "a violation code is listed twice")
        return self

    def quota_for(self, region_code: str) -> float:
        """Tonnes per household per season where ``region_code`` is (longest prefix)."""
        best = max(
            (q for q in self.quota if region_code.startswith(q.region)),
            key=lambda q: len(q.region),
        )
        return best.tonnes

    def violation_codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.violation)

    def violation_for(self, finding_kind: str) -> str | None:
        """The violation type a case opened from a finding of this kind gets by default."""
        return next((v.code for v in self.violation if finding_kind in v.finding), None)

    def deadline_days(self, step: str) -> int:
        return next(s.days for s in self.ladder if s.step == step)

    def next_step(self, step: str) -> str | None:
        i = LADDER_STEPS.index(step)
        return LADDER_STEPS[i + 1] if i + 1 < len(LADDER_STEPS) else None

    def deadline(self, step: str, since: date) -> date | None:
        """The day a step must be done by (None: the last step has no deadline)."""
        days = self.deadline_days(step)
        return since + timedelta(days=days) if days else None


@lru_cache(maxsize=4)
def load_sales_rules(path: Path = DEFAULT_RULES) -> SalesRules:
    """The rules file, validated (cached: read once per process)."""
    return load_model(path, SalesRules)
