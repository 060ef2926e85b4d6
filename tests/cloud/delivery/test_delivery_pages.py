"""The summaries page in headless Chromium: the town, 发改局 and 财政局 each review in turn."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from coalguard.cloud.auth import issue_token
from coalguard.cloud.households.register import HouseholdIn, add_household
from coalguard.edge.clock import SystemClock
from tests.cloud.ops_support import bearer, make_app
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

TOWN, V1 = "130104001", "130104001001"
STATUS = "document.querySelector('.summary-status').textContent"


def _sign_in(b: Browser, base: str, token: str) -> None:
    b.goto(base + "/login")
    b.eval(
        f"document.querySelector('#token').value = {token!r};"
        "document.querySelector('#login button').click();"
    )
    wait_for(lambda: b.eval("location.pathname") == "/", 20, "signed in", retry_errors=True)
    b.call("Page.navigate", url=base + "/delivery/summaries")
    wait_for(lambda: b.eval("document.readyState") == "complete", 20, "page", retry_errors=True)


@pytest.mark.timeout(240)
def test_three_offices_review_a_summary_on_its_page_in_chromium(tmp_path: Path) -> None:
    binary = require_binary("chromium")
    app = make_app(f"sqlite:///{tmp_path}/c.sqlite")
    now = SystemClock().now()

    def token(name: str, region: str, role: str) -> str:
        return issue_token(app.state.sessions, name, region, role, now=now)

    with app.state.sessions.begin() as s:
        body = HouseholdIn(village_code=V1, head_name="王大山", address="1号", category="new_coal")
        hid = add_household(s, app.state.keyring, body, "test", now).id
    with ThreadServer(app) as server, httpx.Client(base_url=server.url) as c:
        fdrc = bearer(token("fdrc-1", "130104", "fdrc"))
        sup = c.post(
            "/api/v1/delivery/suppliers",
            json={"name": "冀中洁净煤公司", "region_code": "130104", "tendered_on": "2022-08-10"},
            headers=fdrc,
        ).json()["id"]
        c.post(
            f"/api/v1/delivery/suppliers/{sup}/users", json={"user_name": "coal-co"}, headers=fdrc
        )
        line = {"household_id": hid, "coal_t": "2", "stoves": 0, "paid_yuan": "0"}
        body = {"village_code": V1, "season": "2022-23", "lines": [line]}
        village = bearer(token("village-1", V1, "operator"))
        reg = c.put("/api/v1/delivery/registers", json=body, headers=village)
        assert reg.status_code == 200
        url = f"/api/v1/delivery/registers/{reg.json()['id']}/advance"
        assert c.post(url, json={"to": "posted"}, headers=village).status_code == 200
        coal_co = bearer(token("coal-co", "130104", "supplier"))
        slip = {
            "serial": "WL-1", "household_id": hid, "village_code": V1, "season": "2022-23",
            "delivered_on": "2022-11-03",
            "lines": [{"item": "coal", "quantity": "2", "unit_price": "1050"}],
        }  # fmt: skip
        assert c.post("/api/v1/delivery/slips", json=slip, headers=coal_co).status_code == 201
        seal = {"township_code": TOWN, "month": "2022-11"}
        assert c.post("/api/v1/delivery/summaries", json=seal, headers=coal_co).status_code == 201

        b = Browser(binary, tmp_path / "chromium-profile")
        try:
            _sign_in(b, server.url, token("finance-early", "130104", "finance"))
            assert "2100.00" in b.eval("document.body.innerText")
            assert b.eval("document.querySelectorAll('form.review').length") == 0  # not its turn
            for name, region, role, after in (
                ("town-1", TOWN, "operator", "街道镇已审核"),
                ("fdrc-2", "130104", "fdrc", "区发改局已审核"),
                ("finance-1", "130104", "finance", "区财政局已审核备案"),
            ):
                _sign_in(b, server.url, token(name, region, role))
                b.eval(
                    "document.querySelector('form.review[data-decision=approved]').requestSubmit()"
                )
                wait_for(lambda after=after: after in b.eval(STATUS), 20, after, retry_errors=True)
            reviews = b.eval("document.querySelector('.reviews').innerText")
            assert reviews.index("town-1") < reviews.index("fdrc-2") < reviews.index("finance-1")
            assert "delivery." not in b.eval("document.body.innerText")  # no raw catalog key
            # the register posted in the village: the head's name masked
            b.call("Page.navigate", url=f"{server.url}/delivery/registers/{reg.json()['id']}/print")
            wait_for(
                lambda: "2.000" in b.eval("document.body.innerText"),
                20,
                "register",
                retry_errors=True,
            )
            posted = b.eval("document.body.innerText")
            assert "登记交款清单" in posted and "王**" in posted and "王大山" not in posted
            assert "已张贴公示" in posted
        finally:
            b.close()
