"""The market pages in headless Chromium: a sampling task walked from plan to a failing
lab result to its automatic re-check to a case closed by rectification, the county's
rates moving as expected; an import's row-level errors shown; no raw names or
placeholders on the pages.

The case is the cases part's (``cloud/market/cases.py``): opened from the failing
sample, it orders rectification; accepting it closes the case and the point trades again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coalguard.cloud.auth import issue_token
from coalguard.edge.clock import ManualClock
from tests.cloud.market.market_support import LINXIA, NOW, TOWN
from tests.cloud.ops_support import bearer, make_app
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.dashboard_browser import no_raw_names, open_page, page_text, sign_in
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, object, dict[str, str]]]:
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    tok = {
        role: issue_token(app.state.sessions, f"{role}-linxia", LINXIA, role, now=NOW)
        for role in ("market", "lab")
    }
    api = TestClient(app)
    for code, name, kind in (
        ("LX-1", "东关煤场", "primary_market"),
        ("LX-2", "西关配送点", "distribution_point"),
        ("LX-9", "临夏型煤厂", "briquette_producer"),
    ):
        body = {"code": code, "name": name, "kind": kind, "region_code": TOWN}
        r = api.post("/api/v1/market/points", json=body, headers=bearer(tok["market"]))
        assert r.status_code == 201, r.text
    with ThreadServer(app) as server:
        yield server.url, app, tok


def _rate(b: Browser, name: str) -> str:
    return b.eval(f"document.querySelector('#rates-total tr[data-rate={name}]').innerText")


def _fill(b: Browser, form: str, **values: str) -> None:
    """Fill and submit ``form`` once its page has loaded (market.js handles the submit)."""
    ready = f"document.readyState === 'complete' && !!document.querySelector({form!r})"
    wait_for(lambda: b.eval(ready), 20, f"the form {form}", retry_errors=True)
    sets = "".join(f"f.elements[{k!r}].value = {v!r};" for k, v in values.items())
    b.eval(f"(() => {{ const f = document.querySelector({form!r}); {sets} f.requestSubmit(); }})()")


@pytest.mark.timeout(240)
def test_plan_to_failing_lab_result_to_recheck_in_chromium(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, _app, tok = served
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        sign_in(b, base, tok["market"])
        rates_url = base + "/market/rates?year=2026&phase=routine"
        text = open_page(b, rates_url, "散煤销售网点抽检覆盖率")
        assert "0 / 2" in _rate(b, "sampling") and "东关煤场" in _rate(b, "sampling")
        assert "临夏型煤厂" in _rate(b, "producers")
        no_raw_names(text)

        # The county's plan, then a visit to 东关煤场: the page moves to the new task.
        open_page(b, base + "/market/plans", "抽检计划")
        _fill(b, "#plan-form", region_code=LINXIA, year="2026", title="2026年散煤抽检")
        wait_for(lambda: "2026年散煤抽检" in page_text(b), 20, "the plan", retry_errors=True)
        _fill(b, ".task-form", point_code="LX-1", planned_on="2026-06-10", sampler="王五")
        wait_for(
            lambda: "/market/tasks/" in b.eval("location.pathname"), 20, "task", retry_errors=True
        )
        task_url = b.eval("location.href")
        _fill(b, "#sample-form", sample_id="LX-2026-001", seal="FQ-001")
        wait_for(lambda: "LX-2026-001" in page_text(b), 20, "the sample", retry_errors=True)
        assert "已抽样" in b.eval("document.querySelector('#task-status').innerText")
        no_raw_names(page_text(b))

        # The lab enters a failing result: judged against Linxia's 无烟2号, re-check opened.
        sign_in(b, base, tok["lab"])
        open_page(b, task_url, "录入检测结果")
        _fill(
            b,
            "#result-form",
            lab="临夏州产品质量检验所",
            **{"indicators.Vdaf": "25", "indicators.St_d": "1.8", "indicators.Ad": "20"},
        )
        outcome = "document.querySelector('#task-outcome').innerText"
        wait_for(lambda: b.eval(outcome) == "不合格", 20, "the failing verdict", retry_errors=True)
        assert "linxia-2023/anthracite-2" in page_text(b)
        b.screenshot(shots / "cloud-market-task.png")
        recheck = b.eval("document.querySelector('#recheck-link').href")
        text = open_page(b, recheck, "复检")
        assert "东关煤场" in text and "待抽样" in text

        # The county's rates: covered one of two points; one failing point, not re-checked yet.
        sign_in(b, base, tok["market"])
        open_page(b, rates_url, "散煤销售网点抽检覆盖率")
        assert "1 / 2" in _rate(b, "sampling") and "西关配送点" in _rate(b, "sampling")
        assert "东关煤场" not in _rate(b, "sampling")
        assert "0 / 1" in _rate(b, "recheck") and "东关煤场" in _rate(b, "recheck")
        b.screenshot(shots / "cloud-market-rates.png")

        # The re-check sampled: the re-check rate reaches 100 %.
        open_page(b, recheck, "抽样登记")
        _fill(b, "#sample-form", sampler="王五", sample_id="LX-2026-002", seal="FQ-002")
        wait_for(
            lambda: "LX-2026-002" in page_text(b), 20, "the re-check sample", retry_errors=True
        )
        open_page(b, rates_url, "不合格网点复检率")
        assert "1 / 1" in _rate(b, "recheck") and "100.0%" in _rate(b, "recheck")

        # A case from the failing sample orders rectification; accepting it closes the case.
        open_page(b, task_url, "立案")
        _fill(b, "#case-form", violation="substandard")
        wait_for(lambda: "办理中" in page_text(b), 20, "the open case", retry_errors=True)
        point_url = b.eval("document.querySelector('h1 a').href")
        open_page(b, rates_url, "非法销售案件处置率")
        assert "0 / 1" in _rate(b, "cases") and "东关煤场" in _rate(b, "cases")
        text = open_page(b, point_url, "整改中")
        assert "验收通过前不准经营" in b.eval("document.querySelector('#may-sell').innerText")
        b.eval("document.querySelector('#cases button[data-market-post]').click()")
        wait_for(lambda: "已结案" in page_text(b), 20, "the closed case", retry_errors=True)
        assert b.eval("document.querySelector('#may-sell').innerText") == "是"
        open_page(b, rates_url, "非法销售案件处置率")
        assert "1 / 1" in _rate(b, "cases") and "100.0%" in _rate(b, "cases")
        assert "1 / 2" in _rate(b, "sampling")

        # The public list: the failing result, CSV link.
        text = open_page(b, base + "/market/failing?year=2026", "抽检不合格结果公示")
        assert "东关煤场" in text and "LX-2026-001" in text and "Vdaf" in text
        no_raw_names(text.replace("Vdaf", "").replace("St_d", ""))

        # English, and a phone-sized screen: nothing scrolls sideways but the tables.
        b.call("Page.navigate", url=base + "/lang/en?next=/market/rates")
        wait_for(lambda: "Sales-point sampling" in page_text(b), 20, "English", retry_errors=True)
        no_raw_names(page_text(b))
        for url, word in ((point_url, "May record sales"), (task_url, "Results")):
            no_raw_names(open_page(b, url, word).replace("Vdaf", "").replace("St_d", ""))
        b.call(
            "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
            mobile=True,
        )  # fmt: skip
        for url, word in ((base + "/market", "Add a point"), (task_url, "Results")):
            open_page(b, url, word)
            assert b.eval("document.documentElement.scrollWidth") <= 390, url
        b.screenshot(shots / "cloud-market-phone.png")
    finally:
        b.close()


@pytest.mark.timeout(240)
def test_an_import_shows_its_row_level_errors_in_chromium(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, _app, tok = served
    sheet = tmp_path / "points.csv"
    sheet.write_text(
        "网点编号,名称,类别,区划代码,环保设施\n"
        f"LX-20,北塬煤点,散煤销售网点,{TOWN},防尘帘、雾炮机\n"
        f"LX-21,南龙煤点,煤球铺,{TOWN},洗车台\n"
        "LX-22,折桥煤点,散煤销售网点,12,\n",
        encoding="utf-8",
    )
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        sign_in(b, base, tok["market"])
        open_page(b, base + "/market", "批量导入")
        root = b.call("DOM.getDocument")["root"]["nodeId"]
        node = b.call("DOM.querySelector", nodeId=root, selector="#import-file")["nodeId"]
        b.call("DOM.setFileInputFiles", files=[str(sheet)], nodeId=node)
        b.eval("document.querySelector('button[data-market-import=commit]').click()")
        rows = "document.querySelectorAll('#import-errors tr[data-row]').length"
        wait_for(lambda: b.eval(rows) == 2, 20, "two refused rows", retry_errors=True)
        errors = b.eval("document.querySelector('#import-errors').innerText")
        assert "类别" in errors and "区划代码" in errors and "煤球铺" in errors
        assert "北塬煤点" not in b.eval("document.querySelector('#points')?.innerText || ''")
        assert "未导入任何数据" in b.eval("document.querySelector('#msg').textContent")
    finally:
        b.close()
