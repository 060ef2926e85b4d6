"""The clerk's books page in headless Chromium: a purchase and a sale with its weighbridge
ticket recorded through the forms (Chinese), the stock and the duplicate-serial finding
shown, the audited buyer reveal, English, and a phone-sized screen."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from coalguard.cloud.audit import AuditEntry
from coalguard.cloud.auth import issue_token
from coalguard.cloud.market.findings import check_sale
from coalguard.cloud.market.sales import assign_clerk, record_purchase, record_sale
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.sales_tables import Case, Sale
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.edge.clock import ManualClock
from tests.cloud.market.market_support import LINXIA, NOW, point
from tests.cloud.market.sales_support import (
    OPEN_VILLAGE,
    id_number,
    purchase_in,
    sale_in,
    weighed_ticket,
)
from tests.cloud.ops_support import bearer, make_app
from tests.cloud.page_support import page_ready as _ready
from tests.cloud.page_support import page_text as _text
from tests.cloud.page_support import sign_in as _sign_in
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    tok = {
        name: issue_token(app.state.sessions, name, LINXIA, role, now=NOW)
        for name, role in (("clerk-a", "clerk"), ("clerk-b", "clerk"), ("op-1", "operator"))
    }
    with app.state.sessions.begin() as s:
        a, b = point(s, "LX-1"), point(s, "LX-2")
        assign_clerk(s, "clerk-a", a, "market-1", NOW)
        assign_clerk(s, "clerk-b", b, "market-1", NOW)
        point_id = a.id
    with ThreadServer(app) as server:
        yield {"base": server.url, "app": app, "tok": tok, "point": point_id}


def _no_raw_names(text: str) -> None:
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), "a raw name is shown"
    assert not re.search(r"\{[a-z_]+\}", text), "a {placeholder} is shown"


MSG = "document.querySelector('#msg').textContent"
STOCK_TABLE = "document.querySelector('#stock').innerText"
CASES_TABLE = "document.querySelector('#cases').innerText"
CASE_STATUS = "document.querySelector('#cases .case-status').innerText"
SALE = {
    "serial_no": "WL-0001", "buyer_name": "马小军", "buyer_id": id_number(1),
    "buyer_phone": "139 1234 5678", "buyer_address": "城关镇 3 组",
    "buyer_village": OPEN_VILLAGE, "coal_type": "anthracite", "quantity_t": "1.5",
    "unit_price": "1200", "quality_report": "QR-1",
}  # fmt: skip


def _fill(b: Browser, form: str, values: dict[str, object]) -> None:
    sets = "".join(f"f.elements[{k!r}].value = {str(v)!r};" for k, v in values.items())
    b.eval(
        f"(() => {{ const f = document.querySelector('#{form}'); {sets} f.requestSubmit(); }})()"
    )


@pytest.mark.timeout(240)
def test_the_clerks_books_page_in_chromium(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, app, tok = served["base"], served["app"], served["tok"]
    with app.state.sessions.begin() as s:  # a form already on the books
        p = s.get(BusinessPoint, served["point"])
        record_sale(s, p, sale_in("WL-0001"), app.state.keyring, "clerk-a", NOW, 1.5)
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    b = Browser(binary, tmp_path / "chromium-profile")
    books = f"/market/points/{served['point']}/books"
    try:
        b.call(
            "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
            mobile=True,
        )  # fmt: skip
        _sign_in(b, base, tok["clerk-a"], "/market/desk", "销售登记")  # leads to the books
        assert b.eval("location.pathname") == books

        _fill(b, "purchase-form", {
            "contract_no": "HT-2026-07", "supplier": "临夏煤业公司",
            "quality_report": "QR-1", "coal_type": "anthracite", "tonnes": "30",
        })  # fmt: skip
        wait_for(
            lambda: _ready(b) and "已保存进货" in _text(b),
            20,
            "the purchase saved",
            retry_errors=True,
        )
        assert "28.5" in b.eval("document.querySelector('#stock').innerText")
        text = _text(b)
        assert "马**" in text and "139****5678" in text and id_number(1) not in text
        _no_raw_names(text)
        assert b.eval("document.documentElement.scrollWidth") <= 390
        b.screenshot(shots / "cloud-market-books-phone.png")

        # A form whose ticket the weighbridge never printed is refused, worded.
        _fill(b, "sale-form", {**SALE, "serial_no": "WL-0002", "ticket_id": "GB-NONE"})
        wait_for(
            lambda: "过磅单 GB-NONE 不存在" in b.eval("document.querySelector('#msg').textContent"),
            20, "the refusal", retry_errors=True,
        )  # fmt: skip

        # The clerk reveals the buyer: audited.
        first = b.eval("document.querySelector('button[data-reveal-buyer]').dataset.revealBuyer")
        b.eval(f"document.querySelector('button[data-reveal-buyer=\"{first}\"]').click()")
        wait_for(lambda: "13912345678" in _text(b), 20, "the revealed phone", retry_errors=True)
        with app.state.sessions() as s:
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action.like("reveal%"))).one()
            assert (entry.actor, entry.detail["sale_id"]) == ("clerk-a", int(first))

        # English.
        b.call("Page.navigate", url=base + f"/lang/en?next={books}")
        wait_for(lambda: "Sales desk" in _text(b), 20, "English page", retry_errors=True)
        _no_raw_names(_text(b))
    finally:
        b.close()
    # Another point's clerk and an operator do not see these books.
    other = httpx.get(base + books, headers=bearer(tok["clerk-b"]), follow_redirects=False)
    assert other.status_code == 403 and "LX-2" in other.text
    assert httpx.get(base + books, headers=bearer(tok["op-1"])).status_code == 403


@pytest.mark.timeout(240)
def test_market_staff_close_a_case_by_rectification_in_chromium(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, app = served["base"], served["app"]
    token = issue_token(app.state.sessions, "market-1", LINXIA, "market", now=NOW)
    with app.state.sessions.begin() as s:  # the same serial twice: a finding
        p = s.get(BusinessPoint, served["point"])
        for n in (1, 2):
            sale = record_sale(
                s, p, sale_in("WL-7", buyer_id=id_number(n)), app.state.keyring, "clerk-a", NOW, 1.5
            )
            (finding, *_) = check_sale(s, p, sale, load_sales_rules(), NOW) or [None]
        assert finding is not None
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        _sign_in(b, base, token, "/market/cases", "案件与整改")
        _fill(b, "case-form", {"finding_id": finding.id, "summary": "同一五联单编号两次使用"})
        wait_for(
            lambda: _ready(b) and "倒卖票据" in _text(b) and "限期整改" in _text(b),
            20, "the opened case", retry_errors=True,
        )  # fmt: skip
        _no_raw_names(_text(b))
        b.eval(
            "window.prompt = () => '5';"
            "document.querySelector('[data-case-action=seizures]').click()"
        )
        wait_for(
            lambda: _ready(b) and "5.0" in b.eval(CASES_TABLE),
            20, "the seizure", retry_errors=True,
        )  # fmt: skip
        b.eval("document.querySelector('[data-case-action=accept]').click()")
        wait_for(
            lambda: _ready(b) and "整改验收通过" in b.eval(CASE_STATUS),
            20, "the accepted case", retry_errors=True,
        )  # fmt: skip
        b.call("Page.navigate", url=base + f"/market/points/{served['point']}/books")
        wait_for(lambda: _ready(b) and "销售登记" in _text(b), 20, "the books", retry_errors=True)
        assert b.eval("!!document.querySelector('#no-sales')") is False  # may sell again
    finally:
        b.close()
    with app.state.sessions() as s:
        (case,) = s.scalars(select(Case)).all()
        assert (case.status, case.outcome, case.seized_t) == ("closed", "rectified", 5.0)


@pytest.mark.timeout(240)
def test_the_clerk_records_a_sale_with_its_ticket_in_chromium(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = require_binary("chromium")
    base, app, tok = served["base"], served["app"], served["tok"]
    with app.state.sessions.begin() as s:
        record_purchase(s, s.get(BusinessPoint, served["point"]), purchase_in(), "clerk-a", NOW)
    first = weighed_ticket(base, tok["clerk-a"], "LX-1", net_t=1.5)
    second = weighed_ticket(base, tok["clerk-a"], "LX-1", net_t=1.2)
    shots = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path))
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        b.call(
            "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
            mobile=True,
        )  # fmt: skip
        _sign_in(b, base, tok["clerk-a"], "/market/desk", "销售登记")
        _fill(b, "sale-form", {**SALE, "ticket_id": first})
        wait_for(
            lambda: _ready(b) and "已保存：五联单 WL-0001" in _text(b), 20, "the sale saved",
            retry_errors=True,
        )  # fmt: skip
        sales = b.eval("document.querySelector('#sales').innerText")
        assert first in sales and "马**" in sales and "139****5678" in sales
        assert "28.5" in b.eval(STOCK_TABLE)
        b.screenshot(shots / "cloud-market-sale-phone.png")

        # The same ticket on a second form is refused, worded.
        _fill(b, "sale-form", {**SALE, "serial_no": "WL-0002", "ticket_id": first})
        wait_for(
            lambda: f"过磅单 {first} 已用于另一张五联单" in b.eval(MSG), 20, "the refusal",
            retry_errors=True,
        )  # fmt: skip

        # The same serial on a second ticket whose net weight differs: two findings.
        _fill(b, "sale-form", {**SALE, "ticket_id": second, "buyer_id": id_number(2)})
        wait_for(
            lambda: _ready(b) and "五联单编号重复使用" in _text(b), 20, "the findings",
            retry_errors=True,
        )  # fmt: skip
        assert "过磅净重与五联单数量不符" in b.eval("document.querySelector('#findings').innerText")
        _no_raw_names(_text(b))
    finally:
        b.close()
    with app.state.sessions() as s:
        rows = s.execute(select(Sale.ticket_id, Sale.ticket_net_t).order_by(Sale.id)).all()
        assert rows == [(first, 1.5), (second, 1.2)]
