"""The lab result beside the rapid one, indicator by indicator.

One definition for the gateway's page and the cloud's inspection view: both
show, per indicator, the rapid value, the lab value, the limit and each
outcome. The lab is judged by the rapid verdict's profile, so the indicators
line up; an indicator only one of them judged still gets its row.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from coalguard.edge.quality.verdict import IndicatorVerdict, Status, Verdict


class IndicatorPair(BaseModel):
    model_config = ConfigDict(frozen=True)

    indicator: str
    unit: str
    min: float | None
    max: float | None
    rapid_value: float | None
    rapid_status: Status | None
    lab_value: float | None
    lab_status: Status | None


def same_profile(rapid: Verdict | None, lab: Verdict) -> bool:
    """Whether both were judged by one profile id and version."""
    return rapid is not None and (rapid.profile_id, rapid.profile_version) == (
        lab.profile_id,
        lab.profile_version,
    )


def side_by_side(
    rapid: Sequence[IndicatorVerdict], lab: Sequence[IndicatorVerdict]
) -> list[IndicatorPair]:
    """The lab's indicators in its order, each with the rapid value and outcome beside it."""
    by_rapid: dict[str, IndicatorVerdict] = {i.indicator: i for i in rapid}
    rows: list[IndicatorPair] = []
    for lab_ind in lab:
        r = by_rapid.pop(lab_ind.indicator, None)
        rows.append(_pair(lab_ind, r, lab_ind))
    for r in by_rapid.values():
        rows.append(_pair(r, r, None))
    return rows


def _pair(
    limit: IndicatorVerdict, rapid: IndicatorVerdict | None, lab: IndicatorVerdict | None
) -> IndicatorPair:
    return IndicatorPair(
        indicator=limit.indicator,
        unit=limit.unit,
        min=limit.min,
        max=limit.max,
        rapid_value=rapid.value if rapid else None,
        rapid_status=rapid.status if rapid else None,
        lab_value=lab.value if lab else None,
        lab_status=lab.status if lab else None,
    )
