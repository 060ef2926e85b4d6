"""The cloud's own verdict on a rapid or lab result, and whether it agrees.

A checkpoint with edited profiles, a wrong jurisdiction or tampered software
judges differently from the cloud. The cloud picks the profile from the
checkpoint's registered jurisdiction and the coal type when it knows both,
else the profile the gateway named; then compares profile and overall.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coalguard.edge.model import Sample
from coalguard.edge.quality import ProfileSet, UnknownProfile, judge
from coalguard.edge.quality.verdict import Verdict
from coalguard.errors import CoalguardError


@dataclass(frozen=True)
class CloudJudgement:
    profile_id: str | None
    overall: str | None
    verdict: Verdict | None = None  # the cloud's own, when it could judge
    disagreement: str | None = None
    profile_set: str | None = None  # the version of the set the cloud judged with
    uncompared: str | None = None  # why the verdicts were not compared (a version gap)

    @property
    def agree(self) -> bool:
        return self.disagreement is None

    @property
    def indicators(self) -> list[dict[str, Any]]:
        """Per-indicator verdicts as JSON, written only when asked (a third of a re-judge)."""
        if self.verdict is None:
            return []
        return [i.model_dump(mode="json") for i in self.verdict.indicators]


def rejudge(
    profiles: ProfileSet,
    *,
    jurisdiction: str | None,
    coal_type: str | None,
    gateway_profile_id: str | None,
    gateway_overall: str | None,
    sample_id: str,
    indicators: dict[str, float],
    uncertainty: dict[str, float] | None = None,
    version: str | None = None,
) -> CloudJudgement:
    """The cloud's verdict on ``indicators``; ``version`` is the set's version when the
    caller already has it (hashing the set costs more than judging)."""
    version = version or profiles.version
    profile = None
    if jurisdiction and coal_type:
        try:
            profile = profiles.for_coal(jurisdiction, coal_type)
        except UnknownProfile:
            profile = None
    if profile is None and gateway_profile_id:
        try:
            profile = profiles.get(gateway_profile_id)
        except UnknownProfile:
            return CloudJudgement(
                None, None, None, f"profile {gateway_profile_id!r} is unknown to the cloud", version
            )
    if profile is None:
        return CloudJudgement(None, None, None, "no profile to judge by", version)
    try:
        v = judge(
            Sample(
                sample_id=sample_id or "unknown",
                indicators=indicators,
                uncertainty=uncertainty or {},
            ),
            profile,
        )
    except (CoalguardError, ValueError) as exc:
        return CloudJudgement(
            profile.id, None, None, f"cloud cannot judge the values: {exc}", version
        )
    problems = []
    if gateway_profile_id and gateway_profile_id != profile.id:
        problems.append(f"profile {gateway_profile_id} at the checkpoint, {profile.id} expected")
    if gateway_overall != v.overall.value:
        problems.append(f"checkpoint said {gateway_overall}, cloud says {v.overall.value}")
    return CloudJudgement(profile.id, v.overall.value, v, "; ".join(problems) or None, version)
