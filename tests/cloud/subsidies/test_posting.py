"""The 公示 posting counts households, not masked names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from coalguard.cloud.households import importer
from coalguard.cloud.households.tables import Household
from coalguard.cloud.market.idcard import check_digit
from coalguard.cloud.subsidies.posting import posting
from coalguard.cloud.subsidies.tables import PayoutLine, PayoutList
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import make_app

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
VILLAGE = "370902001001"
HEADING = "村代码,户主姓名,身份证号码,手机号码,住址,户类,取暖方式,炉具,困难户"


def _row(name: str, first17: str, phone: str, address: str) -> str:
    idn = first17 + check_digit(first17)
    return f"{VILLAGE},{name},{idn},{phone},{address},新增燃煤户,洁净煤,型煤炉,否"


def test_two_households_whose_masked_heads_read_alike_are_posted_as_two(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    sheet = "\n".join([
        HEADING,
        _row("王建国", "37090219650101001", "13905380001", "东村1号"),
        _row("王建军", "37090219660202002", "13905380002", "东村2号"),
    ])  # fmt: skip
    with app.state.sessions.begin() as s:
        rows = importer.read_table(sheet.encode("utf-8"), "csv")
        done = importer.import_rows(s, app.state.keyring, rows, "county", NOW, commit=True)
        assert (done.errors, done.added) == ([], 2)
        homes = list(s.scalars(select(Household)))
        assert {h.head_name_masked for h in homes} == {"王**"}  # alike once masked
        pl = PayoutList(
            township_code=VILLAGE[:9], season="2026-27", schemes_version="v1",
            drawn_by="finance", drawn_at=NOW,
        )  # fmt: skip
        s.add(pl)
        s.flush()
        for h in homes:
            s.add(
                PayoutLine(
                    list_id=pl.id,
                    household_id=h.id,
                    village_code=VILLAGE,
                    scheme_id="taishan",
                    item_id="coal",
                    payer="county",
                    units=Decimal("2"),
                    amount=Decimal("600"),
                )
            )
        s.flush()
        posted = posting(s, pl, "zh")
    assert posted.households == 2 and len(posted.rows) == 2 and posted.total == "1200.00"
