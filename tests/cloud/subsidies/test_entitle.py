"""Entitlements computed from ledger facts: hand-checked arithmetic and one test per rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from coalguard.cloud.subsidies.entitle import entitle
from coalguard.cloud.subsidies.facts import HouseholdFacts, Paid, Slip
from coalguard.cloud.subsidies.schemes import load_schemes
from coalguard.errors import DataFileError

SCHEMES = load_schemes()
PAY_DAY = date(2023, 1, 10)
TAISHAN = "370902001001"
HEBEI = "130104001001"  # a Hebei county with no county file: the province's benchmark only
HEBEI_EXAMPLE = "130102001001"  # the example county adding its own share
BINZHOU = "371602001001"
LINXIA = "622901001001"


def slip(
    serial: str,
    item: str,
    qty: str,
    price: str,
    *,
    on: date = date(2022, 11, 2),
    tendered: bool = True,
) -> Slip:
    return Slip(serial, on, item, Decimal(qty), Decimal(price), "泰山洁净煤配送公司", tendered)


def line(ent, item_id: str):
    return next(ln for ln in ent.lines if ln.item_id == item_id and not ln.clawback)


def test_taishan_pays_300_a_tonne_and_400_a_stove_from_the_tendered_supplier() -> None:
    f = HouseholdFacts(
        1, TAISHAN, "unretrofitted_remote",
        slips=(
            slip("TS-001", "coal", "1.5", "1180", on=date(2021, 10, 8)),
            slip("TS-002", "coal", "0.75", "1180", on=date(2021, 12, 1)),
            slip("TS-003", "stove", "1", "1650", on=date(2021, 10, 8)),
        ),
    )  # fmt: skip
    ent = entitle(f, SCHEMES, "2021-22", date(2022, 1, 5))
    # coal: (1.5 + 0.75) t x 300 = 675.00; stove: 1 x 400 = 400.00; total 1075.00
    assert line(ent, "coal").amount == Decimal("675.00")
    assert line(ent, "coal").slips == ("TS-001", "TS-002")
    assert line(ent, "stove").amount == Decimal("400.00")
    assert ent.total == Decimal("1075.00")
    assert ent.by_payer() == {"county": Decimal("1075.00")}


def test_hebei_benchmark_caps_coal_at_two_tonnes_and_one_stove() -> None:
    f = HouseholdFacts(
        2, HEBEI, "new_coal",
        slips=(
            slip("HB-1", "coal", "1.2", "1050"),
            slip("HB-2", "coal", "1.3", "1050", on=date(2022, 12, 20)),
            slip("HB-3", "stove", "2", "900"),
        ),
    )  # fmt: skip
    ent = entitle(f, SCHEMES, "2022-23", PAY_DAY)
    # coal: min(2.5, 2) t x 100 = 200.00 (1.2 from HB-1, 0.8 from HB-2)
    # stove: min(2, 1) x 500 = 500.00
    assert line(ent, "coal").units == Decimal("2.0")
    assert line(ent, "coal").amount == Decimal("200.00")
    assert line(ent, "stove").amount == Decimal("500.00")
    assert ent.total == Decimal("700.00")


def test_hebei_county_adds_its_differentiated_share() -> None:
    f = HouseholdFacts(
        3, HEBEI_EXAMPLE, "unretrofitted_remote", slips=(slip("HB-9", "coal", "1.5", "1050"),)
    )
    ent = entitle(f, SCHEMES, "2022-23", PAY_DAY)
    # province 1.5 x 100 = 150.00; example county 1.5 x 150 = 225.00
    # and a remote household gets no stove
    assert ent.by_payer() == {"province": Decimal("150.00"), "county": Decimal("225.00")}
    assert line(ent, "stove").refusal.rule == "category"


def test_slips_outside_the_season_window_do_not_count() -> None:
    f = HouseholdFacts(
        4,
        HEBEI,
        "unretrofitted_remote",
        slips=(slip("OLD", "coal", "2", "900", on=date(2022, 3, 1)),),
    )
    assert line(entitle(f, SCHEMES, "2022-23", PAY_DAY), "coal").refusal.rule == "nothing_bought"


def test_rule_category_refuses_a_retrofitted_household_clean_coal() -> None:
    f = HouseholdFacts(5, HEBEI, "retrofit_done", slips=(slip("R1", "coal", "1", "900"),))
    ln = line(entitle(f, SCHEMES, "2022-23", PAY_DAY), "coal")
    assert ln.refusal.rule == "category" and ln.amount == 0
    assert "双代改造完成户" in ln.refusal.text("zh")


def test_rule_tendered_supplier_refuses_slips_of_another_company() -> None:
    f = HouseholdFacts(
        6,
        TAISHAN,
        "unretrofitted_remote",
        slips=(slip("X1", "coal", "1", "900", on=date(2021, 11, 1), tendered=False),),
    )
    ln = line(entitle(f, SCHEMES, "2021-22", date(2022, 1, 5)), "coal")
    assert ln.refusal.rule == "tendered_supplier" and "泰山洁净煤配送公司" in ln.refusal.text("zh")


BINZHOU_2022 = dict(
    category="retrofit_done",
    retrofit_year=2022,
    pledge_signed_on=date(2022, 11, 1),
    acceptance="accepted",
)


def test_binzhou_2022_retrofit_gets_construction_operating_and_hardship() -> None:
    f = HouseholdFacts(
        7, BINZHOU, hardship=True, slips=(slip("G1", "gas", "400", "3.2"),), **BINZHOU_2022
    )
    ent = entitle(f, SCHEMES, "2022-23", PAY_DAY)
    # construction 3000 (example); operating: 400 m3 x 3.2 = 1280 capped at 900 (example);
    # hardship 500
    assert [(ln.item_id, ln.amount) for ln in ent.lines if ln.refusal is None] == [
        ("construction", Decimal("3000.00")),
        ("operating_2022", Decimal("900.00")),
        ("hardship", Decimal("500.00")),
    ]
    assert line(ent, "operating_2017_2019").refusal.rule == "cohort"


def test_rule_no_second_construction_subsidy_for_an_earlier_retrofit() -> None:
    f = HouseholdFacts(
        8,
        BINZHOU,
        **{**BINZHOU_2022, "retrofit_year": 2018},
        slips=(slip("E1", "electricity", "2000", "0.5"),),
    )
    ent = entitle(f, SCHEMES, "2022-23", PAY_DAY)
    assert line(ent, "construction").refusal.rule == "no_second_construction"
    assert "2018" in line(ent, "construction").refusal.text("zh")
    # the 2017-2019 cohort is paid by use: 2000 kWh x 0.5 = 1000.00 (under the 1,200 cap)
    assert line(ent, "operating_2017_2019").amount == Decimal("1000.00")


def test_rule_no_second_construction_when_paid_before_even_in_the_same_cohort() -> None:
    f = HouseholdFacts(9, BINZHOU, construction_paid_before=True, **BINZHOU_2022)
    assert (
        line(entitle(f, SCHEMES, "2022-23", PAY_DAY), "construction").refusal.rule
        == "no_second_construction"
    )


def test_rule_pledge_signed_before_payment() -> None:
    unsigned = HouseholdFacts(10, BINZHOU, **{**BINZHOU_2022, "pledge_signed_on": None})
    assert (
        line(entitle(unsigned, SCHEMES, "2022-23", PAY_DAY), "construction").refusal.rule
        == "pledge"
    )
    late = HouseholdFacts(10, BINZHOU, **{**BINZHOU_2022, "pledge_signed_on": date(2023, 2, 1)})
    assert line(entitle(late, SCHEMES, "2022-23", PAY_DAY), "construction").refusal.rule == "pledge"


def test_rule_refused_retrofit_excludes_every_item() -> None:
    f = HouseholdFacts(
        11,
        BINZHOU,
        "retrofit_exception",
        retrofit_refused=True,
        hardship=True,
        slips=(slip("B1", "biomass", "1", "800"),),
    )
    ent = entitle(f, SCHEMES, "2022-23", PAY_DAY)
    assert {ln.refusal.rule for ln in ent.lines} == {"refused_retrofit"} and ent.total == 0


def test_rule_no_payment_before_acceptance_passes() -> None:
    f = HouseholdFacts(12, BINZHOU, **{**BINZHOU_2022, "acceptance": "pending"})
    ln = line(entitle(f, SCHEMES, "2022-23", PAY_DAY), "construction")
    assert ln.refusal.rule == "acceptance" and "待验收" in ln.refusal.text("zh")


def test_rule_clawback_when_acceptance_fails_after_payment() -> None:
    paid = (Paid("binzhou-2022", "construction", Decimal("3000.00")),)
    f = HouseholdFacts(13, BINZHOU, **{**BINZHOU_2022, "acceptance": "failed"}, paid=paid)
    ent = entitle(f, SCHEMES, "2022-23", PAY_DAY)
    claw = [ln for ln in ent.lines if ln.clawback]
    assert [(ln.item_id, ln.amount) for ln in claw] == [("construction", Decimal("-3000.00"))]
    assert ent.total == Decimal("-3000.00")


def test_rule_hardship_only_for_linxia_coal() -> None:
    coal = (slip("LX1", "coal", "3", "1300", on=date(2023, 11, 1)),)
    poor = entitle(
        HouseholdFacts(14, LINXIA, "unretrofitted_remote", hardship=True, slips=coal),
        SCHEMES,
        "2023-24",
        date(2023, 12, 1),
    )
    # paid at the slip's price up to the 2 t cap: 2 x 1300 = 2600.00, by the town
    assert poor.by_payer() == {"town": Decimal("2600.00")}
    other = entitle(
        HouseholdFacts(15, LINXIA, "unretrofitted_remote", slips=coal),
        SCHEMES,
        "2023-24",
        date(2023, 12, 1),
    )
    assert line(other, "hardship_coal").refusal.rule == "hardship"


def test_rule_operating_subsidy_ends_after_its_seasons() -> None:
    f = HouseholdFacts(16, BINZHOU, **BINZHOU_2022, slips=(slip("G9", "gas", "10", "3"),))
    assert line(entitle(f, SCHEMES, "2022-23", PAY_DAY), "operating_2022").amount == Decimal(
        "30.00"
    )
    from coalguard.cloud.subsidies.entitle import _operating_seasons

    later = SCHEMES.by_id("binzhou-2022").model_copy(update={"season": "2025-26"})
    item = next(i for i in later.items if i.id == "operating_2022")
    assert _operating_seasons(later, item, f, PAY_DAY).rule == "operating_seasons"


def test_a_bad_scheme_file_names_its_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        'id = "x"\ntitle = "x"\nregion = "13"\nlevel = "province"\nseason = "2022-23"\n'
        'purchases_from = 2022-06-01\npurchases_to = 2023-03-15\nsource = "s"\n\n'
        '[[item]]\nid = "coal"\nbasis = "coal_t"\npayer = "province"\nrate = -5\n',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as err:
        load_schemes.__wrapped__(tmp_path)
    assert "bad.toml, line 14" in str(err.value) and "item.0.rate" in str(err.value)
