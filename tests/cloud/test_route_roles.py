"""Every route of the cloud, called with every kind of credential: the role matrix.

The expected matrix is data below. The test fails when a route is added
without a row here, when a route's declaration (``access.allow``) differs from
its row, and when any call answers differently from what the row says.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from coalguard.cloud.access import declared_access
from coalguard.cloud.api.routes import ROUTERS
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoAlert, CoDevice
from coalguard.cloud.gateways import register_gateway
from coalguard.edge.clock import SystemClock
from tests.cloud.co.co_support import event
from tests.cloud.ops_support import bearer, make_app

# Who calls. The user roles have national scope here, so a 403 can only be the role.
ADMIN, OPERATOR, INSTALLER, GATEWAY_USER = "admin", "operator", "installer", "gateway"
OFFICE = "office"  # the air-pollution office (大气办)
MARKET, CLERK, LAB = "market", "clerk", "lab"  # coal-market oversight, sales-point clerk, lab
GRID = "grid"  # a grid member on a phone (网格员, 村委委员, 协查员, 网格长)
SUPPLIER, FDRC, FINANCE = "supplier", "fdrc", "finance"  # delivery company, 发改局, 财政局
GATEWAY_TOKEN = "gateway-token"  # a checkpoint gateway's own token (cloud gateway add)
NO_CREDENTIAL, BAD_CREDENTIAL = "none", "bad"
USERS = (
    ADMIN,
    OPERATOR,
    INSTALLER,
    GATEWAY_USER,
    OFFICE,
    MARKET,
    CLERK,
    LAB,
    SUPPLIER,
    FDRC,
    FINANCE,
    GRID,
)
CALLERS = (*USERS, GATEWAY_TOKEN, NO_CREDENTIAL, BAD_CREDENTIAL)

# What a route allows: user roles, or one of these.
PUBLIC = "public"  # anyone, no credential needed
GATEWAY_ONLY = "gateway-token only"
PROVIDER_ONLY = "provider URL token only"  # SMS/voice receipts: the matrix's token is wrong
READ = frozenset(USERS)  # every role reads within its region (docs/cloud-operators.md)
ALERTS = frozenset({ADMIN, OPERATOR})
DEVICES = frozenset({ADMIN, OPERATOR, INSTALLER})
FAST_PASS = frozenset({ADMIN, OPERATOR})
ADMINS = frozenset({ADMIN})
OPS = frozenset({ADMIN, OPERATOR})
OFFICE_ONLY = frozenset({OFFICE})
CLERKS = frozenset({CLERK})  # a sales point's clerk records its books
BOOKS = frozenset({ADMIN, MARKET, CLERK})  # read a point's books, reveal a buyer (audited)
CASES = frozenset({ADMIN, MARKET})  # cases, clerks of points, zone lists
CASE_READ = frozenset({ADMIN, MARKET, OFFICE})
CASEWORK = frozenset({ADMIN, MARKET, OFFICE})  # tips, the issue ledger, zone findings
MARKET_EDIT = frozenset({ADMIN, MARKET})  # the point register, plans, tasks, samples
RESULTS = frozenset({ADMIN, MARKET, LAB})  # sampling results
HH_READ = frozenset({ADMIN, OPERATOR, OFFICE, INSTALLER})  # the household register, masked
HH_ADD = frozenset({ADMIN, OPERATOR, INSTALLER})  # add a household (installers on site)
PATROLS = frozenset({ADMIN, OPERATOR, GRID})  # record patrols and photos, sign off a village
GRIDS = frozenset({ADMIN, OPERATOR})  # the grid tree and campaigns
NETWORK = frozenset({ADMIN, FDRC})  # delivery network and suppliers
REGISTERS = frozenset({ADMIN, OPERATOR})  # village purchase registers
DELIVERY_READ = frozenset({ADMIN, OPERATOR, FDRC, FINANCE, SUPPLIER})
SUPPLIERS = frozenset({SUPPLIER})  # a delivery company's slips and summaries
SUBSIDY_PAY = frozenset({ADMIN, FINANCE})  # draw, post and pay lists; allocations
SUBSIDY_READ = frozenset({ADMIN, FINANCE, FDRC, OPERATOR})
REVIEW = frozenset({OPERATOR, FDRC, FINANCE})  # town, 发改局, 财政局 (each its own step)

API: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): PUBLIC,
    ("GET", "/api/v1/auth/me"): READ,
    ("PUT", "/api/v1/auth/me/lang"): READ,
    ("POST", "/api/v1/gateways/{gateway_id}/batches"): GATEWAY_ONLY,
    ("GET", "/api/v1/gateways/{gateway_id}/fast-pass.toml"): GATEWAY_ONLY,
    ("GET", "/api/v1/gateways/{gateway_id}/ledger"): GATEWAY_ONLY,
    ("GET", "/api/v1/gateways/{gateway_id}/profiles.json"): GATEWAY_ONLY,
    ("GET", "/api/v1/profile-sets"): READ,
    ("GET", "/api/v1/ledgers"): READ,
    # CO alarms
    ("GET", "/api/v1/co/alerts"): READ,
    ("POST", "/api/v1/co/alerts/{alert_id}/ack"): ALERTS,
    ("POST", "/api/v1/co/alerts/{alert_id}/resolve"): ALERTS,
    ("GET", "/api/v1/co/alerts/{alert_id}/notifications"): READ,
    ("GET", "/api/v1/co/alerts/{alert_id}/alarms"): READ,
    ("POST", "/api/v1/co/devices"): DEVICES,
    ("GET", "/api/v1/co/devices"): READ,
    ("GET", "/api/v1/co/devices/{device_id}"): READ,
    ("POST", "/api/v1/co/devices/{device_id}/commissioning"): DEVICES,
    ("POST", "/api/v1/installer/households/{household_id}/alarm"): DEVICES,
    ("GET", "/api/v1/co/devices/{device_id}/commissioning"): READ,
    ("GET", "/api/v1/co/season-check"): READ,
    ("GET", "/api/v1/co/dead-letters"): OPS,
    ("GET", "/api/v1/co/channels"): READ,
    # replies to a CO alarm's SMS, posted by the provider (a secret path part)
    ("POST", "/api/v1/co/sms-replies/{key}"): PUBLIC,
    # one alert list
    ("GET", "/api/v1/alerts"): READ,
    ("POST", "/api/v1/alerts/{alert_id}/ack"): ALERTS,
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): ALERTS,
    # users and audit
    ("GET", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users/{name}/tokens"): ADMINS,
    ("POST", "/api/v1/users/{name}/revoke"): ADMINS,
    ("GET", "/api/v1/audit"): ADMINS,
    # checkpoints
    ("GET", "/api/v1/checkpoints"): READ,
    ("PUT", "/api/v1/checkpoints/{checkpoint_id}"): ADMINS,
    ("PUT", "/api/v1/regions/{region_code}/office"): ADMINS,
    ("GET", "/api/v1/inspections"): READ,
    ("GET", "/api/v1/inspections/{inspection_id}"): READ,
    ("GET", "/api/v1/verdicts"): READ,
    ("GET", "/api/v1/lab-samples"): READ,
    ("GET", "/api/v1/checks/summary"): READ,
    ("GET", "/api/v1/checks/projection"): ADMINS,
    # fast pass and reports
    ("POST", "/api/v1/fast-pass/reports"): FAST_PASS,
    ("POST", "/api/v1/fast-pass/trucks"): FAST_PASS,
    ("DELETE", "/api/v1/fast-pass/trucks/{plate}"): FAST_PASS,
    ("GET", "/api/v1/fast-pass/list"): READ,
    # watch list
    ("POST", "/api/v1/watch/plates"): OPS,
    ("DELETE", "/api/v1/watch/plates/{plate}"): OPS,
    ("GET", "/api/v1/watch/list"): OPS,
    ("GET", "/api/v1/gateways/{gateway_id}/watch.toml"): GATEWAY_ONLY,
    ("GET", "/api/v1/gateways/{gateway_id}/zones.toml"): GATEWAY_ONLY,
    ("GET", "/api/v1/reports/{kind}"): READ,
    # clean-coal delivery (docs/delivery.md)
    ("POST", "/api/v1/delivery/suppliers"): NETWORK,
    ("POST", "/api/v1/delivery/suppliers/{supplier_id}/users"): NETWORK,
    ("POST", "/api/v1/delivery/sites"): NETWORK,
    ("GET", "/api/v1/delivery/network"): DELIVERY_READ,
    ("PUT", "/api/v1/delivery/registers"): REGISTERS,
    ("POST", "/api/v1/delivery/registers/{register_id}/advance"): REGISTERS,
    ("GET", "/api/v1/delivery/registers/{register_id}"): DELIVERY_READ,
    ("POST", "/api/v1/delivery/slips"): SUPPLIERS,
    ("GET", "/api/v1/delivery/rates"): DELIVERY_READ,
    ("POST", "/api/v1/delivery/summaries"): SUPPLIERS,
    ("POST", "/api/v1/delivery/summaries/{summary_id}/review"): REVIEW,
    ("GET", "/api/v1/delivery/summaries/{summary_id}"): DELIVERY_READ,
    ("POST", "/api/v1/delivery/reserve"): NETWORK,
    # subsidies (docs/subsidies.md)
    ("GET", "/api/v1/subsidies/households/{household_id}"): SUBSIDY_READ,
    ("POST", "/api/v1/subsidies/lists"): SUBSIDY_PAY,
    ("POST", "/api/v1/subsidies/lists/{list_id}/advance"): SUBSIDY_PAY,
    ("GET", "/api/v1/subsidies/lists/{list_id}"): SUBSIDY_READ,
    ("GET", "/api/v1/subsidies/lists/{list_id}/export.xlsx"): SUBSIDY_READ,
    ("PUT", "/api/v1/subsidies/allocations"): SUBSIDY_PAY,
    ("GET", "/api/v1/subsidies/settlement"): SUBSIDY_READ,
    # weighbridge tickets (过磅单) of the sales points
    ("POST", "/api/v1/market/tickets"): CLERKS,
    ("GET", "/api/v1/market/tickets"): BOOKS,
    ("GET", "/api/v1/market/tickets/{ticket_id}"): BOOKS,
    # lab referrals to the air-pollution office
    ("GET", "/api/v1/referrals"): READ,
    ("GET", "/api/v1/referrals/{case_id}"): READ,
    ("POST", "/api/v1/referrals/{case_id}/ack"): OFFICE_ONLY,
    # the contact directory and the township on-call rota
    ("GET", "/api/v1/contacts"): READ,
    ("POST", "/api/v1/contacts"): OPS,
    ("PATCH", "/api/v1/contacts/{contact_id}"): OPS,
    ("POST", "/api/v1/contacts/{contact_id}/deactivate"): OPS,
    ("POST", "/api/v1/contacts/{contact_id}/reveal"): OPS,
    ("POST", "/api/v1/contacts/import"): OPS,
    # the household register
    ("GET", "/api/v1/households"): HH_READ,
    ("GET", "/api/v1/households/coverage"): HH_READ,
    ("POST", "/api/v1/households"): HH_ADD,
    ("GET", "/api/v1/households/{household_id}"): HH_READ,
    ("PATCH", "/api/v1/households/{household_id}"): OPS,
    ("POST", "/api/v1/households/{household_id}/verifications"): OPS,
    ("POST", "/api/v1/households/{household_id}/reveal"): OPS,
    ("POST", "/api/v1/households/import"): OPS,
    # the region directory (docs/regions.md)
    ("GET", "/api/v1/regions"): READ,
    ("POST", "/api/v1/regions/import"): ADMINS,
    ("GET", "/api/v1/duty-shifts"): READ,
    ("POST", "/api/v1/duty-shifts"): OPS,
    ("POST", "/api/v1/duty-shifts/{shift_id}/cancel"): OPS,
    ("GET", "/api/v1/duty-shifts/on-duty"): READ,
    # coal-market oversight: points, sampling, the rates, the public failing list
    ("GET", "/api/v1/market/points"): READ,
    ("POST", "/api/v1/market/points"): MARKET_EDIT,
    ("GET", "/api/v1/market/points/{point_id}"): READ,
    ("PATCH", "/api/v1/market/points/{point_id}"): MARKET_EDIT,
    ("POST", "/api/v1/market/points/{point_id}/rectification"): MARKET_EDIT,
    ("POST", "/api/v1/market/points/{point_id}/rectification/accept"): MARKET_EDIT,
    ("POST", "/api/v1/market/points/import"): MARKET_EDIT,
    ("GET", "/api/v1/market/plans"): READ,
    ("POST", "/api/v1/market/plans"): MARKET_EDIT,
    ("POST", "/api/v1/market/plans/{plan_id}/tasks"): MARKET_EDIT,
    ("GET", "/api/v1/market/tasks"): READ,
    ("GET", "/api/v1/market/tasks/{task_id}"): READ,
    ("POST", "/api/v1/market/tasks/{task_id}/sample"): MARKET_EDIT,
    ("POST", "/api/v1/market/tasks/{task_id}/results"): RESULTS,
    ("GET", "/api/v1/market/rates"): READ,
    ("GET", "/api/v1/market/failing"): READ,
    ("GET", "/api/v1/market/failing.csv"): READ,
    # the live alarm board's event stream (401, not a redirect: EventSource cannot follow one)
    ("GET", "/board/events"): READ,
    # delivery receipts posted by the SMS/voice providers; the cloud's metrics
    ("POST", "/api/v1/co/receipts/tencent/{token}"): PROVIDER_ONLY,
    ("POST", "/api/v1/co/receipts/aliyun/{token}"): PROVIDER_ONLY,
    ("GET", "/metrics"): OPS,
    # coal market: a sales point's books, the audited buyer reveal, cases, zone lists
    ("GET", "/api/v1/market/points/{point_id}/books"): BOOKS,
    ("POST", "/api/v1/market/points/{point_id}/purchases"): CLERKS,
    ("POST", "/api/v1/market/points/{point_id}/sales"): CLERKS,
    ("POST", "/api/v1/market/sales/{sale_id}/reveal"): BOOKS,
    ("PUT", "/api/v1/market/points/{point_id}/clerk"): CASES,
    ("POST", "/api/v1/market/cases"): CASES,
    ("GET", "/api/v1/market/cases"): CASE_READ,
    ("GET", "/api/v1/market/cases/{case_id}"): CASE_READ,
    ("POST", "/api/v1/market/cases/{case_id}/escalate"): CASES,
    ("POST", "/api/v1/market/cases/{case_id}/accept"): CASES,
    ("POST", "/api/v1/market/cases/{case_id}/seizures"): CASES,
    ("POST", "/api/v1/market/cases/{case_id}/handovers"): CASES,
    ("POST", "/api/v1/market/cases/{case_id}/disposal"): CASES,
    ("POST", "/api/v1/market/cases/{case_id}/publish"): CASES,
    ("GET", "/api/v1/market/case-disposal"): CASE_READ,
    ("POST", "/api/v1/zones"): CASES,
    ("GET", "/api/v1/zones"): READ,
    # casework: tips, the issue ledger, the zones' loose-coal clearance
    ("POST", "/api/v1/tips"): CASEWORK,
    ("GET", "/api/v1/tips"): CASE_READ,
    ("GET", "/api/v1/tips/{tip_id}"): CASE_READ,
    ("POST", "/api/v1/tips/{tip_id}/notices"): CASEWORK,
    ("POST", "/api/v1/tips/{tip_id}/case"): CASES,
    ("POST", "/api/v1/tips/{tip_id}/reward"): CASEWORK,
    ("POST", "/api/v1/ledger"): CASEWORK,
    ("GET", "/api/v1/ledger"): CASE_READ,
    ("POST", "/api/v1/ledger/{item_id}/escalate"): CASEWORK,
    ("POST", "/api/v1/ledger/{item_id}/close"): CASEWORK,
    ("POST", "/api/v1/zone-findings"): CASEWORK,
    ("POST", "/api/v1/zone-findings/{finding_id}/clear"): CASEWORK,
    ("GET", "/api/v1/zone-clearance"): CASE_READ,
    # grid patrols
    ("POST", "/api/v1/patrols/grids"): GRIDS,
    ("POST", "/api/v1/patrols/grids/{region_code}/members"): GRIDS,
    ("GET", "/api/v1/patrols/grids"): READ,
    ("POST", "/api/v1/patrols/photos"): PATROLS,
    ("POST", "/api/v1/patrols"): PATROLS,
    ("GET", "/api/v1/patrols"): READ,
    ("POST", "/api/v1/patrols/campaigns"): GRIDS,
    ("GET", "/api/v1/patrols/campaigns/{campaign_id}"): READ,
    ("POST", "/api/v1/patrols/campaigns/{campaign_id}/villages/{village}/done"): PATROLS,
}
# Routes outside the OpenAPI document: the dashboard (no credential: redirect to the
# login page) and FastAPI's own documentation pages.
PAGES: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/market/tickets/{ticket_id}/print"): BOOKS,
    ("GET", "/subsidies/lists/{list_id}/print"): SUBSIDY_READ,
    ("GET", "/delivery/summaries"): DELIVERY_READ,
    ("GET", "/login"): PUBLIC,
    ("GET", "/static/{name}"): PUBLIC,
    ("GET", "/lang/{lang}"): PUBLIC,
    ("GET", "/"): READ,
    ("GET", "/alerts"): READ,
    ("GET", "/referrals"): READ,
    ("GET", "/checkpoints/{checkpoint_id}"): READ,
    ("GET", "/alarms/{device_id}"): READ,
    ("GET", "/contacts"): READ,
    ("GET", "/rota"): READ,
    ("GET", "/households"): HH_READ,
    ("GET", "/households/import"): OPS,
    ("GET", "/households/{household_id}"): HH_READ,
    ("GET", "/board"): READ,
    ("GET", "/history"): READ,
    ("GET", "/history/villages/{village_code}"): READ,
    ("GET", "/history/households/{device_id}"): READ,
    ("GET", "/market/desk"): CLERKS,
    ("GET", "/market/cases"): CASE_READ,
    ("GET", "/tips"): CASE_READ,
    ("GET", "/tips/{tip_id}"): CASE_READ,
    ("GET", "/ledger"): CASE_READ,
    ("GET", "/zones/clearance"): CASE_READ,
    ("GET", "/market/points/{point_id}/books"): BOOKS,
    ("GET", "/market"): READ,
    ("GET", "/market/points/{point_id}"): READ,
    ("GET", "/market/plans"): READ,
    ("GET", "/market/tasks/{task_id}"): READ,
    ("GET", "/market/rates"): READ,
    ("GET", "/market/failing"): READ,
    # the installer's phone pages (find the household, bind and test the alarm, the record)
    ("GET", "/install"): DEVICES,
    ("GET", "/install/new"): DEVICES,
    ("GET", "/install/households/{household_id}"): DEVICES,
    ("GET", "/install/records/{commissioning_id}"): DEVICES,
    ("GET", "/patrols/new"): PATROLS,
    ("GET", "/patrols/campaigns/{campaign_id}"): READ,
    # a CO alarm's one-time acknowledgement link (token-checked, rate-limited)
    ("GET", "/a/{token}"): PUBLIC,
    ("POST", "/a/{token}"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
}

PATH_VALUES = {"gateway_id": "gw-matrix", "kind": "daily", "region_code": "130102"}


def expected_status(rule: frozenset[str] | str, caller: str, page: bool) -> int | None:
    """None: allowed (any answer but a refusal); else the refusal's status code."""
    if rule == PUBLIC:
        return None
    unknown = 303 if page else 401  # pages send an unknown caller to /login
    if rule == GATEWAY_ONLY:
        return None if caller == GATEWAY_TOKEN else 401
    if rule == PROVIDER_ONLY:
        return 401
    if caller in (NO_CREDENTIAL, BAD_CREDENTIAL, GATEWAY_TOKEN):
        return unknown
    return None if caller in rule else 403


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


def _routes_in(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers: the OpenAPI document plus the rest."""
    found = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    for router in ROUTERS:
        found |= {(m, r.path) for r in router.routes for m in r.methods if m != "HEAD"}
    for r in app.routes:
        for m in getattr(r, "methods", None) or ():
            if m != "HEAD":
                found.add((m, r.path))
    return found


@pytest.fixture
def world(tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    sm = app.state.sessions
    creds = {
        role: issue_token(sm, f"nation-{role}", "", role, now=SystemClock().now()) for role in USERS
    }
    creds[GATEWAY_TOKEN] = register_gateway(app.state.engine, "gw-matrix", now=SystemClock().now())
    creds[BAD_CREDENTIAL] = "cgt_forged-token-000000000000000000"
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False), creds


def test_every_route_is_in_the_matrix_and_declares_its_roles(world) -> None:  # type: ignore[no-untyped-def]
    client, _ = world
    matrix = {**API, **PAGES}
    assert _routes_in(client.app) == set(matrix), "add the new route to the matrix above"
    api_routes = [r for router in ROUTERS for r in router.routes]
    api_routes += [r for r in client.app.routes if isinstance(r, APIRoute)]
    for route in api_routes:
        decl = declared_access(route)
        assert len(decl) == 1, f"{route.path}: declares its access {len(decl)} times"
        (acc,) = decl
        for method in route.methods:
            rule = matrix[(method, route.path)]
            if rule == PUBLIC:
                assert acc.public, route.path
            elif rule == GATEWAY_ONLY:
                assert acc.gateway_token, route.path
            elif rule == PROVIDER_ONLY:
                assert acc.provider_token, route.path
            else:
                assert set(acc.roles) == rule, f"{method} {route.path}: {sorted(acc.roles)}"


def _call(client: TestClient, method: str, path: str, cred: str | None) -> Any:
    headers = bearer(cred) if cred else {}
    body = {} if method in ("POST", "PUT") else None
    return client.request(method, _fill(path), headers=headers, json=body)


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_answers_every_caller_as_the_matrix_says(world, caller: str) -> None:  # type: ignore[no-untyped-def]
    client, creds = world
    wrong: list[str] = []
    for table, page in ((API, False), (PAGES, True)):
        for (method, path), rule in table.items():
            r = _call(client, method, path, creds.get(caller))
            want = expected_status(rule, caller, page)
            refused = r.status_code in (401, 403) or (page and r.status_code == 303)
            if r.status_code >= 500:
                wrong.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
            elif want is None and refused:
                wrong.append(f"{method} {path}: refused {r.status_code}, should be allowed")
            elif want is not None and r.status_code != want:
                wrong.append(f"{method} {path}: {r.status_code}, should be {want}")
            elif want == 303:
                assert r.headers["location"] == "/login"
    assert wrong == [], f"{caller}:\n" + "\n".join(wrong)


# -- the two reported breaches, pinned -------------------------------------------------

VILLAGE = "130102001001"


def _alarm(app: FastAPI) -> int:
    """A registered alarm in the county that raised a critical CO alert."""
    with app.state.sessions.begin() as s:
        s.add(CoDevice(device_id="COA-7", registered=True, region_code=VILLAGE))
    MessageStore(app.state.sessions, AlertBook(load_rules(), ("log",))).apply(
        [event("COA-7", 1, "alarm_start", co_ppm=300)]
    )
    with app.state.sessions() as s:
        (alert,) = s.query(CoAlert).all()
        assert alert.severity == "critical" and alert.status == "open"
        return alert.id


def test_installer_cannot_resolve_co_alarm(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    installer = bearer(
        issue_token(app.state.sessions, "inst-1", "130102", "installer", now=SystemClock().now())
    )
    county = bearer(
        issue_token(app.state.sessions, "county", "130102", "operator", now=SystemClock().now())
    )
    alert_id = _alarm(app)
    c = TestClient(app)
    for url in (
        f"/api/v1/co/alerts/{alert_id}/ack",
        f"/api/v1/co/alerts/{alert_id}/resolve",
        f"/api/v1/alerts/co-{alert_id}/ack",
        f"/api/v1/alerts/co-{alert_id}/resolve",
    ):
        assert c.post(url, headers=installer).status_code == 403, url
    with app.state.sessions() as s:
        a = s.get(CoAlert, alert_id)
        assert (a.status, a.acknowledged_by, a.resolved_by) == ("open", None, None)
    r = c.post(f"/api/v1/co/alerts/{alert_id}/resolve", headers=county)
    assert r.status_code == 200 and r.json()["resolved_by"] == "county"


def test_gateway_token_cannot_register_co_devices(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    gateway_user = bearer(
        issue_token(app.state.sessions, "gw-130102", "130102", "gateway", now=SystemClock().now())
    )
    own_gateway_token = bearer(register_gateway(app.state.engine, "gw-zz", now=SystemClock().now()))
    c = TestClient(app)
    reg = {
        "device_id": "COA-8",
        "installer_id": "i1",
        "household": {
            "name": "孙家",
            "address": "1组",
            "village_code": VILLAGE,
            "phone": "13500001234",
        },
    }
    assert c.post("/api/v1/co/devices", json=reg, headers=gateway_user).status_code == 403
    assert c.post("/api/v1/co/devices", json=reg, headers=own_gateway_token).status_code == 401
    with app.state.sessions.begin() as s:  # registered by an installer
        s.add(CoDevice(device_id="COA-8", registered=True, region_code=VILLAGE))
    start = {"installer_id": "i1"}
    for cred, code in ((gateway_user, 403), (own_gateway_token, 401)):
        r = c.post("/api/v1/co/devices/COA-8/commissioning", json=start, headers=cred)
        assert r.status_code == code
    with app.state.sessions() as s:
        assert s.get(CoDevice, "COA-8").household_name is None
