"""Points, plans, tasks and results in the domain: judged by the verdict engine, a failing
point re-checked at once, an overdue task alerted once through the one lifecycle."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.alert_list import AlertFilter, find_alert, unified_alerts
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.market import may_record_sales
from coalguard.cloud.market.points import (
    MarketError,
    PointFields,
    accept_rectification,
    start_rectification,
    update_point,
)
from coalguard.cloud.market.sampling import (
    PlanIn,
    ResultIn,
    SampleIn,
    TaskIn,
    add_plan,
    add_task,
    enter_result,
    plan_on_time,
    record_sample,
    sweep_market_deadlines,
)
from coalguard.cloud.market.tables import SamplingTask
from coalguard.edge.quality import ProfileSet
from tests.cloud.market.market_support import FAILING, LINXIA, NOW, PASSING, point


@pytest.fixture
def s(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    create_schema(engine, for_tests_or_demo=True)
    with make_sessionmaker(engine).begin() as session:
        yield session
    engine.dispose()


def _sampled(s: Session, code: str, sample_id: str) -> SamplingTask:
    plan = add_plan(s, PlanIn(region_code=LINXIA, year=2026), "market-1", NOW)
    p = point(s, code)
    task = add_task(s, plan, p, TaskIn(point_code=code, planned_on=date(2026, 6, 12)), "m", NOW)
    return record_sample(s, task, SampleIn(sampler="王", sample_id=sample_id, seal="F-1"), NOW)


def test_a_failing_lab_result_opens_one_recheck_due_after_the_vocabulary_days(s) -> None:  # type: ignore[no-untyped-def]
    task = _sampled(s, "LX-1", "S-1")
    lab = ResultIn(method="lab", lab="州质检所", indicators=FAILING)
    result, recheck = enter_result(s, ProfileSet.load(), task, lab, "lab-1", NOW)
    assert result.profile_id == "linxia-2023/anthracite-2" and result.overall == "fail"
    assert task.outcome == "fail" and recheck is not None
    assert (recheck.kind, recheck.recheck_of, recheck.point_id) == (
        "recheck",
        task.id,
        task.point_id,
    )
    assert recheck.due_on == date(2026, 6, 10) + timedelta(days=15)
    _, again = enter_result(s, ProfileSet.load(), task, lab, "lab-1", NOW)
    assert again is None  # one re-check per failing task


def test_the_lab_decides_over_the_rapid_result(s) -> None:  # type: ignore[no-untyped-def]
    task = _sampled(s, "LX-2", "S-2")
    rapid = ResultIn(method="rapid", indicators=PASSING)
    enter_result(s, ProfileSet.load(), task, rapid, "market-1", NOW)
    assert task.outcome == "pass"
    enter_result(s, ProfileSet.load(), task, ResultIn(method="lab", indicators=FAILING), "l", NOW)
    assert task.outcome == "fail"
    enter_result(s, ProfileSet.load(), task, rapid, "market-1", NOW)
    assert task.outcome == "fail"  # a later rapid result does not overrule the lab


def test_a_result_before_the_sample_is_refused(s) -> None:  # type: ignore[no-untyped-def]
    plan = add_plan(s, PlanIn(region_code=LINXIA, year=2026), "market-1", NOW)
    p = point(s, "LX-3")
    task = add_task(s, plan, p, TaskIn(point_code="LX-3", planned_on=date(2026, 6, 12)), "m", NOW)
    with pytest.raises(MarketError) as e:
        enter_result(
            s, ProfileSet.load(), task, ResultIn(method="lab", indicators=PASSING), "l", NOW
        )
    assert e.value.key == "task_not_sampled"


def test_an_overdue_task_raises_one_market_alert_in_the_one_list(s) -> None:  # type: ignore[no-untyped-def]
    plan = add_plan(s, PlanIn(region_code=LINXIA, year=2026), "market-1", NOW)
    p = point(s, "LX-4")
    task = add_task(s, plan, p, TaskIn(point_code="LX-4", planned_on=date(2026, 6, 12)), "m", NOW)
    assert sweep_market_deadlines(s, NOW + timedelta(days=2)) == 0  # due the 12th: not yet
    assert sweep_market_deadlines(s, NOW + timedelta(days=3)) == 1
    assert sweep_market_deadlines(s, NOW + timedelta(days=4)) == 0  # once
    (alert,) = unified_alerts(s, LINXIA, AlertFilter(source="market"))
    assert alert["kind"] == "market.task_overdue" and alert["id"].startswith("mk-")
    assert find_alert(s, alert["id"]) is not None
    record_sample(s, task, SampleIn(sampler="王", sample_id="S-4", seal="F-4"), NOW)
    assert find_alert(s, alert["id"]).cleared_at is not None  # type: ignore[union-attr]


def test_no_sales_under_rectification_until_it_is_accepted(s) -> None:  # type: ignore[no-untyped-def]
    p = point(s, "LX-5")
    assert may_record_sales(p)
    start_rectification(s, p, "无洗车台", date(2026, 6, 30), NOW)
    verdict = may_record_sales(p)
    assert not verdict and verdict.reason == "no_sales_rectifying"
    with pytest.raises(MarketError):
        update_point(s, p, PointFields(status="trading"), NOW)  # only by acceptance
    accept_rectification(s, p, NOW)
    assert may_record_sales(p) and p.rectification_accepted_at == NOW


def test_unknown_words_are_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="Fog cannon"):
        PointFields(facilities=["fog-cannon"])


def test_a_plan_made_after_may_is_late(s) -> None:  # type: ignore[no-untyped-def]
    plan = add_plan(s, PlanIn(region_code=LINXIA, year=2026), "market-1", NOW)
    assert not plan_on_time(plan)
    assert s.scalars(select(SamplingTask)).all() == []


def test_a_bad_vocabulary_file_names_the_file_and_field(tmp_path: Path) -> None:
    from coalguard.cloud.market.vocabulary import VOCABULARY_FILE, vocabulary
    from coalguard.errors import DataFileError

    bad = tmp_path / "vocabulary.toml"
    bad.write_text(
        VOCABULARY_FILE.read_text(encoding="utf-8").replace(
            "recheck_days = 15", "recheck_days = 0"
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as e:
        vocabulary(bad)
    assert "vocabulary.toml" in str(e.value) and "recheck_days" in str(e.value)


def test_a_rectification_past_its_deadline_raises_one_alert(s) -> None:  # type: ignore[no-untyped-def]
    p = point(s, "LX-6")
    start_rectification(s, p, "无沉淀池", date(2026, 6, 12), NOW)
    assert sweep_market_deadlines(s, NOW + timedelta(days=2)) == 0  # due the 12th
    assert sweep_market_deadlines(s, NOW + timedelta(days=3)) == 1
    assert sweep_market_deadlines(s, NOW + timedelta(days=9)) == 0  # once per order
    (alert,) = unified_alerts(s, LINXIA, AlertFilter(source="market"))
    assert (alert["kind"], alert["point_id"]) == ("market.rectification_overdue", p.id)


def test_a_task_outside_the_plans_year_is_refused(s) -> None:  # type: ignore[no-untyped-def]
    plan = add_plan(s, PlanIn(region_code=LINXIA, year=2026), "market-1", NOW)
    p = point(s, "LX-7")
    with pytest.raises(MarketError) as e:
        add_task(s, plan, p, TaskIn(point_code="LX-7", planned_on=date(2027, 1, 5)), "m", NOW)
    assert e.value.key == "task_year"
