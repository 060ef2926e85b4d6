"""View models of the household register pages (plain values; words in templates).

Personal data shows masked (the register keeps only masked forms beside the
sealed ones); the household page's reveal button asks the API, audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from coalguard.cloud.access import HOUSEHOLD_EDITORS, HOUSEHOLD_REVEALERS
from coalguard.cloud.auth import Operator
from coalguard.cloud.households.importer import COLUMNS, REQUIRED
from coalguard.cloud.households.schemas import (
    CoverageOut,
    HouseholdOut,
    coverage_rows,
    household_rows,
)
from coalguard.cloud.households.vocabulary import Vocabulary, vocabulary
from coalguard.cloud.scope import region_level


@dataclass(frozen=True)
class Powers:
    can_edit: bool
    can_reveal: bool


def powers(op: Operator) -> Powers:
    return Powers(can_edit=op.role in HOUSEHOLD_EDITORS, can_reveal=op.role in HOUSEHOLD_REVEALERS)


@dataclass(frozen=True)
class RegisterView:
    villages: list[CoverageOut]
    village: str | None  # the village whose households are listed
    households: list[HouseholdOut]
    words: Vocabulary


def register_view(s: Session, op: Operator, village: str | None) -> RegisterView:
    """Coverage of every village of the user's region; the households of one village
    (the chosen one, or the user's own when their region is a village)."""
    villages = coverage_rows(s, op.region_prefix)
    if village is None and region_level(op.region_prefix) == "village":
        village = op.region_prefix
    if village is not None and (region_level(village) != "village" or not op.covers(village)):
        village = None
    rows = household_rows(s, village) if village else []
    return RegisterView(villages, village, rows, vocabulary())


def import_columns() -> list[tuple[str, bool]]:
    """The sheet's columns and whether each is required (the import page lists them)."""
    return [(c, c in REQUIRED) for c in COLUMNS]
