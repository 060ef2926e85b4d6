"""A payout list as people read it: the public posting (公示) and its Excel export.

Only the head's masked name and the village appear, never an ID number or a
phone (``cloud/privacy.py`` masking is done at rest by the register). Refused
lines are the township's working list, not posted: the posting shows what is
paid (and clawed back) per household and item.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy.orm import Session

from coalguard.cloud.households.tables import Household
from coalguard.cloud.regions import region_name
from coalguard.cloud.subsidies.entitle import ZERO
from coalguard.cloud.subsidies.payouts import lines_of
from coalguard.cloud.subsidies.schemes import money
from coalguard.cloud.subsidies.tables import PayoutList
from coalguard.i18n import t


@dataclass(frozen=True)
class PostedRow:
    village_code: str
    head: str  # masked
    scheme_id: str
    item: str  # the item as people read it
    units: str
    amount: str
    clawback: bool


@dataclass(frozen=True)
class Posting:
    list_id: int
    township_code: str
    season: str
    round: int
    status: str
    rows: list[PostedRow]
    total: str
    households: int


def item_words(item_id: str, lang: str) -> str:
    key = f"subsidies.item_{item_id}"
    word = t(key, lang)
    return item_id if word == key else word


def posting(s: Session, pl: PayoutList, lang: str) -> Posting:
    rows: list[PostedRow] = []
    total = ZERO
    heads: dict[int, str] = {}  # household id -> masked head: two 王** of a village are two
    for ln in lines_of(s, pl.id):
        if ln.refusal is not None and not ln.clawback:
            continue
        if ln.household_id not in heads:
            h = s.get(Household, ln.household_id)
            heads[ln.household_id] = h.head_name_masked if h else "-"
        amount = Decimal(ln.amount)
        total += amount
        rows.append(
            PostedRow(
                village_code=ln.village_code,
                head=heads[ln.household_id],
                scheme_id=ln.scheme_id,
                item=item_words(ln.item_id, lang),
                units=f"{Decimal(ln.units).normalize():f}",
                amount=f"{money(amount):f}",
                clawback=ln.clawback,
            )
        )
    return Posting(
        list_id=pl.id,
        township_code=pl.township_code,
        season=pl.season,
        round=pl.round,
        status=pl.status,
        rows=rows,
        total=f"{money(total):f}",
        households=len(heads),
    )


def to_xlsx(p: Posting, lang: str) -> bytes:
    """The posting as an Excel workbook (one sheet, a header row, amounts as numbers)."""
    wb = Workbook()
    ws = wb.active
    ws.title = t("subsidies.sheet_title", lang)[:31]
    ws.append(
        [
            t(f"subsidies.col_{c}", lang)
            for c in ("village", "head", "scheme", "item", "units", "amount")
        ]
    )
    for r in p.rows:
        village = region_name(r.village_code, lang)
        ws.append([village, r.head, r.scheme_id, r.item, float(r.units), float(r.amount)])
    ws.append(["", "", "", "", t("subsidies.col_total", lang), float(p.total)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
