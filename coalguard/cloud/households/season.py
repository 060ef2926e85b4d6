"""The season check (全面排查, ``co/registry.py``) joined to the register.

Beside the alarms with a problem, the check lists the register's new coal
households that have no commissioned alarm at all; every problem key reads in
the reader's language (``households.season_<key>``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from coalguard.cloud.households.coverage import coal_households_without_alarm
from coalguard.i18n import t

PROBLEMS = ("not_heard_since", "not_tested", "low_battery", "expired", "no_commissioned_alarm")


class SeasonHousehold(BaseModel):
    """A new coal household the check finds without a commissioned alarm (name masked)."""

    household_id: int
    village_code: str
    head_name: str
    address: str
    problems: list[str]


def season_households(s: Session, region_prefix: str) -> list[SeasonHousehold]:
    return [
        SeasonHousehold(
            household_id=h.id,
            village_code=h.village_code,
            head_name=h.head_name_masked,
            address=h.address,
            problems=["no_commissioned_alarm"],
        )
        for h in coal_households_without_alarm(s, region_prefix)
    ]


def add_to_villages(villages: list[dict[str, Any]], found: list[SeasonHousehold]) -> None:
    """Count each village's coal households without an alarm into its summary row."""
    by_code = {v["village_code"]: v for v in villages}
    for h in found:
        row = by_code.get(h.village_code)
        if row is None:
            row = by_code[h.village_code] = {"village_code": h.village_code, "registered": 0}
            row["ok"] = 0
            villages.append(row)
        row["no_commissioned_alarm"] = row.get("no_commissioned_alarm", 0) + 1
    villages.sort(key=lambda v: v["village_code"])


def problem_words(lang: str) -> dict[str, str]:
    """Every problem key of the season check as the reader reads it."""
    return {p: t(f"households.season_{p}", lang) for p in PROBLEMS}
