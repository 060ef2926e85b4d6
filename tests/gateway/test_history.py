"""History: any truck of any day the gateway holds, found by plate, day, verdict and company.

Before, the page listed only "今日检查": a truck of yesterday could not be found.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from coalguard.edge.fastpass import FastPassList
from coalguard.gateway.history import HistoryQuery, search
from tests.gateway.camera_http import live_gateway  # noqa: F401 (the live fixture)
from tests.gateway.conftest import FAILING, PASSING, drive_to_judged, registration
from tests.gateway.test_ledger import _bypass


def _fast_pass(gw, plate: str, company: str) -> str:
    gw.fast_pass.replace(
        FastPassList.model_validate(
            {
                "version": f"v-{plate}",
                "truck": [
                    {
                        "plate": plate,
                        "company": company,
                        "report_id": "QR",
                        "expires": "2027-12-31",
                        "valid_from": "2026-01-01",
                        "coal_type": "anthracite",
                        "quantity_t": 1000.0,
                    }
                ],
            }
        ),
        "test",
    )
    iid = gw.workflow.arrive(plate, "王五")
    gw.workflow.register(iid, "王五", registration(plate, consignor=company))
    assert gw.workflow.check_fast_pass(iid, "王五") is True
    gw.workflow.release(iid, "王五")
    return iid


def _days(gw, clock) -> dict[str, str]:
    """Three local days of trucks; returns plate -> inspection id."""
    ids = {}
    ids["晋BWXQ4L"] = drive_to_judged(gw, PASSING, plate="晋BWXQ4L", sample="S1")  # 11-23 08:30
    gw.workflow.release(ids["晋BWXQ4L"], "王五")
    clock.advance(timedelta(minutes=20))
    ids["冀A12345"] = drive_to_judged(gw, FAILING, plate="冀A12345", sample="S2")
    gw.workflow.turn_back(ids["冀A12345"], "王五")
    clock.advance(timedelta(days=1))  # 11-24 08:30
    ids["晋BWX001"] = drive_to_judged(gw, FAILING, plate="晋BWX001", sample="S3")
    clock.advance(timedelta(minutes=20))
    ids["冀E00001"] = _fast_pass(gw, "冀E00001", "河北焦化有限公司")
    clock.advance(timedelta(days=1))  # 11-25 08:30
    ids["冀C77777"] = gw.workflow.arrive("冀C77777", "王五")
    return ids


def _found(live, query: str) -> list[str]:
    page = live.read_page(f"/history?{query}")
    return re.findall(r'<a href="/inspections/[^"]+">([^<]+)</a>', page)


def test_history_finds_trucks_of_earlier_days_by_plate_day_verdict_and_company(live, gw, clock):
    _days(gw, clock)
    assert "冀C77777" in live.read_page("/")  # today's list has today's truck only
    assert "晋BWXQ4L" not in live.read_page("/")
    assert _found(live, "") == ["冀C77777", "冀E00001", "晋BWX001", "冀A12345", "晋BWXQ4L"]
    assert _found(live, "plate=bwx") == ["晋BWX001", "晋BWXQ4L"]  # partial, normalised
    assert _found(live, "plate=晋B·WX") == ["晋BWX001", "晋BWXQ4L"]
    assert _found(live, "from=2026-11-23&to=2026-11-23") == ["冀A12345", "晋BWXQ4L"]
    assert _found(live, "from=2026-11-24") == ["冀C77777", "冀E00001", "晋BWX001"]
    assert _found(live, "verdict=fail") == ["晋BWX001", "冀A12345"]
    assert _found(live, "verdict=fail&plate=BWX&from=2026-11-24") == ["晋BWX001"]
    assert _found(live, "company=焦化") == ["冀E00001"]
    assert _found(live, "company=恒信煤业") == ["晋BWX001", "冀A12345", "晋BWXQ4L"]
    page = live.read_page("/history?company=焦化")
    assert "河北焦化有限公司" in page and "共 1 辆" in page


def test_history_days_are_shanghai_days(gw, clock):
    # 23:59 and 00:01 Beijing time are two days, though both are 2026-11-23 in UTC.
    clock.set(datetime(2026, 11, 23, 15, 59, tzinfo=UTC))  # 11-23 23:59 local
    late = gw.workflow.arrive("冀A00001", "王五")
    clock.set(datetime(2026, 11, 23, 16, 1, tzinfo=UTC))  # 11-24 00:01 local, same UTC day
    early = gw.workflow.arrive("冀A00002", "王五")
    day = HistoryQuery.parse({"from": "2026-11-24", "to": "2026-11-24"})
    assert [r["id"] for r in search(gw.store, day).rows] == [early]
    day = HistoryQuery.parse({"to": "2026-11-23"})
    assert [r["id"] for r in search(gw.store, day).rows] == [late]


def test_history_is_paginated_with_the_filters_kept(live, gw, clock):
    for n in range(53):
        gw.workflow.arrive(f"冀D{n:05d}", "王五")
        clock.advance(timedelta(minutes=1))
    first = live.read_page("/history?plate=冀D")
    assert first.count('href="/inspections/') == 50 and "第 1/2 页" in first
    next_href = re.search(r'<a href="([^"]+)" id="next">', first).group(1)
    second = live.read_page(next_href.replace("&amp;", "&"))
    assert second.count('href="/inspections/') == 3 and "第 2/2 页" in second
    assert "冀D00000" in second and 'id="prev"' in second and 'id="next"' not in second


def test_bad_history_filter_is_refused_with_the_reason_not_a_500(live, gw):
    live.read_page("/")  # signed in
    for query, words in (
        ("from=2026-13-01", "起始日期 2026-13-01 不是日期"),
        ("to=yesterday", "截止日期 yesterday 不是日期"),
        ("from=2026-11-25&to=2026-11-23", "起始日期 2026-11-25 晚于截止日期 2026-11-23"),
        ("verdict=green", "没有 green 这种判定"),
        ("page=-1", "页码 -1 有误"),
    ):
        r = live.page.get(f"/history?{query}")
        assert r.status_code == 400 and words in r.text, (query, r.status_code)


def test_history_row_opens_a_read_only_detail_with_steps_verdict_and_ledger_hashes(live, gw, clock):
    ids = _days(gw, clock)
    iid = ids["冀A12345"]
    page = live.read_page("/history?plate=A12345")
    href = re.search(r'<a href="(/inspections/[^"]+)">冀A12345</a>', page).group(1)
    assert href == f"/inspections/{iid}"
    detail = live.read_page(href)
    assert "冀A12345" in detail and "已劝返" in detail and "不合格" in detail
    assert 'id="verdict"' in detail and "Aad" in detail
    assert "S2" in detail and "F-S2" in detail  # the sample and its seal
    entries = gw.ledger.for_inspection(iid)
    assert {e.book for e in entries} == {"inspection", "sampling"}
    for e in entries:
        assert e.hash in detail and e.prev_hash in detail
    assert "<form" not in detail.split("</header>")[1]  # read-only: no step can be taken here
    missing = live.page.get("/inspections/no-such-id")
    assert missing.status_code == 404


def test_history_and_detail_need_a_signed_in_person(live, gw):
    iid = gw.workflow.arrive("冀A12345", "王五")
    for path in ("/history", f"/inspections/{iid}"):
        r = live.camera.get(path, headers={"accept": "text/html"})  # no session
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_history_page_in_english(live, gw):
    gw.workflow.arrive("冀A12345", "王五")
    live.read_page("/")
    live.page.post("/lang", data={"lang": "en", "next": "/history"})
    page = live.page.get("/history").text
    assert "History" in page and "1 trucks" in page and "From" in page


def test_detail_marks_an_edited_ledger_entry_of_the_truck(live, gw, clock):
    iid = drive_to_judged(gw, FAILING, plate="冀A12345", sample="S2")
    gw.workflow.turn_back(iid, "王五")
    assert 'id="verify" class="pass intact"' in live.read_page(f"/inspections/{iid}")
    entry = next(e for e in gw.ledger.for_inspection(iid) if e.kind == "turn_back")
    _bypass(gw, "UPDATE ledger SET operator = '别人' WHERE id = ?", (entry.id,))
    assert not gw.ledger.entry_intact(entry.book, entry.seq)
    detail = live.read_page(f"/inspections/{iid}")
    assert 'id="verify" class="err"' in detail
    assert detail.count('class="fail tampered"') == 1
