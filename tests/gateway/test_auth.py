"""Sign-in, sessions, roles, CSRF and same-origin checks of the checkpoint page and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.roles import ACTIONS, Role, may
from coalguard.gateway.web import create_app
from coalguard.gateway.web.auth import COOKIE
from tests.gateway.conftest import CAMERA_AUTH, PASSING, config_dict, drive_to_judged
from tests.gateway.session import PASSWORD, add_user, sign_in
from tests.gateway.test_cameras import plate_event
from tests.support.metrics import sample

ORIGIN = "http://testserver"


@pytest.fixture
def app(gw):
    add_user(gw.store, "wangwu", "operator", "王五")
    add_user(gw.store, "lead", "shift_lead", "赵班长")
    return create_app(gw, lang="zh")


@pytest.fixture
def anon(app):
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as c:
        sign_in(c, "wangwu")
        yield c


def _bare_session(app, who: str = "wangwu") -> tuple[TestClient, str]:
    """A signed-in client that sends no CSRF or Origin header by itself (like a browser)."""
    c = TestClient(app, follow_redirects=False)
    csrf = sign_in(c, who)
    del c.headers["X-CSRF-Token"]
    del c.headers["Origin"]
    return c, csrf


def test_cross_site_form_post_cannot_release_a_truck(app, gw):
    iid = drive_to_judged(gw, PASSING)
    c, csrf = _bare_session(app)
    url = f"/ui/inspections/{iid}/release"
    evil = {"Origin": "https://evil.example"}
    # what another site's form can send: the cookie, its own origin, no token
    assert c.post(url, data={"reason": "x"}, headers=evil).status_code == 403
    # even with the token (leaked), another origin is refused
    assert c.post(url, data={"csrf": csrf}, headers=evil).status_code == 403
    evil_ref = {"Referer": "https://evil.example/page"}
    assert c.post(url, data={"csrf": csrf}, headers=evil_ref).status_code == 403
    assert c.post(url, data={"csrf": csrf}).status_code == 403  # neither Origin nor Referer
    assert gw.workflow.get(iid)["state"] == "judged"


def test_request_without_csrf_token_cannot_release_a_truck(app, gw):
    iid = drive_to_judged(gw, PASSING)
    c, csrf = _bare_session(app)
    url = f"/ui/inspections/{iid}/release"
    same = {"Origin": ORIGIN}
    r = c.post(url, data={}, headers=same)
    assert r.status_code == 403 and "安全校验" in r.text
    assert c.post(url, data={"csrf": "forged"}, headers=same).status_code == 403
    assert gw.workflow.get(iid)["state"] == "judged"
    # the page's own form (token in the form, same origin) goes through
    assert c.post(url, data={"csrf": csrf}, headers=same).status_code == 303
    assert gw.workflow.get(iid)["state"] == "released"


def test_anonymous_request_cannot_read_an_inspection(anon, gw):
    iid = gw.workflow.arrive("冀A12345", "王五")
    r = anon.get(f"/api/v1/inspections/{iid}")
    assert r.status_code == 401 and "冀A12345" not in r.text
    page = anon.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert anon.get("/ledger").status_code == 401
    assert anon.post(f"/ui/inspections/{iid}/cancel", data={"reason": "x"}).status_code == 401
    assert anon.get("/healthz").status_code == 200  # stays open
    assert anon.get("/metrics").status_code == 200  # counts only, documented open


def test_signed_in_user_reads_an_inspection(client, gw):
    iid = gw.workflow.arrive("冀A12345", "王五")
    r = client.get(f"/api/v1/inspections/{iid}")
    assert r.status_code == 200 and r.json()["plate"] == "冀A12345"


def test_camera_push_without_token_is_refused_by_default(tmp_path, gw, anon, clock):
    cfg = config_dict(tmp_path)
    del cfg["http"]
    with pytest.raises(ValidationError, match="camera_token is required"):
        GatewayConfig.model_validate(cfg)
    cfg["http"] = {"camera_token_required": False}  # a closed camera network, said explicitly
    assert GatewayConfig.model_validate(cfg).http.camera_token is None
    assert anon.post("/api/v1/camera-events", json=plate_event(clock, 1)).status_code == 401
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 0
    r = anon.post("/api/v1/camera-events", json=plate_event(clock, 1), headers=CAMERA_AUTH)
    assert r.status_code == 201


def test_camera_push_needs_no_token_only_when_configured_so(gw, anon, clock):
    gw.config.http.camera_token = None
    gw.config.http.camera_token_required = False
    assert anon.post("/api/v1/camera-events", json=plate_event(clock, 1)).status_code == 201


def test_lockout_after_five_failures_per_account(anon, gw, clock):
    def login(pw: str):
        return anon.post("/login", data={"username": "wangwu", "password": pw})

    for _ in range(gw.config.auth.max_failures_account):
        r = login("wrong-password")
        assert r.status_code == 401 and "账号或密码错误" in r.text
    r = login(PASSWORD)  # the right password no longer helps
    assert r.status_code == 429 and "锁定" in r.text
    metrics = anon.get("/metrics").text
    assert sample(metrics, "coalguard_gateway_sign_ins_total", outcome="locked_account") == 1
    assert sample(metrics, "coalguard_gateway_sign_ins_total", outcome="bad_credentials") == 5
    clock.advance(timedelta(minutes=gw.config.auth.lockout_minutes, seconds=1))
    assert login(PASSWORD).status_code == 303


def test_lockout_per_client_across_accounts(anon, gw):
    n = gw.config.auth.max_failures_client
    for i in range(n):
        anon.post("/login", data={"username": f"guess{i}", "password": "wrong-password"})
    r = anon.post("/login", data={"username": "lead", "password": PASSWORD})
    assert r.status_code == 429 and "本机" in r.text


def test_session_expires_after_idle_time(client, gw, clock):
    assert client.get("/api/v1/session").status_code == 200
    clock.advance(timedelta(minutes=gw.config.auth.idle_minutes - 1))
    assert client.get("/api/v1/session").status_code == 200  # activity: idle clock restarts
    clock.advance(timedelta(minutes=gw.config.auth.idle_minutes - 1))
    assert client.get("/?auto=1").status_code == 200  # a page refresh is not activity
    clock.advance(timedelta(minutes=2))
    assert client.get("/api/v1/session").status_code == 401
    assert gw.store.scalar("SELECT COUNT(*) FROM sessions") == 0


def test_session_expires_after_its_absolute_lifetime(client, gw, clock):
    step = timedelta(minutes=gw.config.auth.idle_minutes / 2)
    lived = timedelta()
    while lived + step < timedelta(hours=gw.config.auth.absolute_hours):
        clock.advance(step)
        lived += step
        assert client.get("/api/v1/session").status_code == 200
    clock.advance(step + timedelta(seconds=1))  # within the idle time, past the lifetime
    assert client.get("/api/v1/session").status_code == 401


def test_logout_ends_the_session_on_the_server(app, gw):
    c, csrf = _bare_session(app)
    sid = c.cookies.get(COOKIE)
    r = c.post("/logout", data={"csrf": csrf}, headers={"Origin": ORIGIN})
    assert r.status_code == 303 and "out=1" in r.headers["location"]
    with TestClient(app) as replay:  # the old cookie value, sent again, is nobody
        replay.cookies.set(COOKIE, sid)
        assert replay.get("/api/v1/session").status_code == 401


def test_ledger_records_the_signed_in_user_not_a_body_supplied_name(client, gw):
    r = client.post("/ui/arrive", data={"plate": "冀A12345", "operator": "冒名顶替"})
    assert r.status_code == 303
    iid = gw.workflow.current()["id"]
    assert [s["operator"] for s in gw.workflow.steps(iid)] == ["王五 (wangwu)"]
    entry = gw.ledger.entries("inspection")[0]
    assert entry.operator == "王五 (wangwu)"
    client.post("/ui/duty", data={"action": "on_duty", "note": "早班", "operator": "冒名顶替"})
    assert gw.ledger.entries("duty")[0].operator == "王五 (wangwu)"


def test_operator_may_not_cancel_but_a_shift_lead_may(app, gw):
    iid = gw.workflow.arrive("冀A12345", "王五")
    with TestClient(app, follow_redirects=False) as op:
        sign_in(op, "wangwu")
        r = op.post(f"/ui/inspections/{iid}/cancel", data={"reason": "误报"})
        assert r.status_code == 403 and "班长" in r.text
        assert 'id="form-cancel"' not in op.get(f"/?id={iid}").text
    assert gw.workflow.get(iid)["state"] == "arrived"
    with TestClient(app, follow_redirects=False) as lead:
        sign_in(lead, "lead")
        assert (
            lead.post(f"/ui/inspections/{iid}/cancel", data={"reason": "误报"}).status_code == 303
        )
    assert gw.workflow.get(iid)["state"] == "cancelled"


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(role):
    lead_only = {"cancel", "close_case", "ledger.correct", "unbind_result"}
    for action, least in ACTIONS.items():
        if action == "users.manage":
            assert may(role, action) == (role is Role.admin)
        elif action in lead_only:
            assert least is Role.shift_lead and may(role, action) == (role >= Role.shift_lead)
        else:
            assert may(role, action), (role, action)
    assert not may(role, "no-such-action")


def test_login_posted_from_another_site_is_refused(anon):
    r = anon.post(
        "/login",
        data={"username": "wangwu", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and COOKIE not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example"])
def test_login_redirects_only_within_the_site(anon, target):
    r = anon.post("/login", data={"username": "wangwu", "password": PASSWORD, "next": target})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_api_token_acts_as_its_user_without_csrf(app, gw):
    token = gw.accounts.issue_token("wangwu")
    with TestClient(app, follow_redirects=False) as c:
        auth = {"Authorization": f"Bearer {token}"}
        assert c.get("/api/v1/session", headers=auth).json()["username"] == "wangwu"
        assert c.post("/ui/arrive", data={"plate": "冀A12345"}, headers=auth).status_code == 303
        gw.accounts.set_disabled("wangwu", True)
        assert c.get("/api/v1/session", headers=auth).status_code == 401


def test_disabled_account_loses_its_sessions(client, gw):
    gw.accounts.set_disabled("wangwu", True)
    assert client.get("/api/v1/session").status_code == 401
    r = client.post("/login", data={"username": "wangwu", "password": PASSWORD})
    assert r.status_code == 401 and "停用" in r.text


def test_only_an_admin_manages_accounts_on_the_page(app, gw):
    add_user(gw.store, "boss", "admin", "管理员甲")
    with TestClient(app, follow_redirects=False) as lead:
        sign_in(lead, "lead")
        assert lead.get("/users").status_code == 403
        r = lead.post("/ui/users/wangwu/disable", data={})
        assert r.status_code == 403 and not gw.accounts.get("wangwu").disabled
    with TestClient(app, follow_redirects=False) as admin:
        sign_in(admin, "boss")
        assert 'href="/users"' in admin.get("/").text
        page = admin.get("/users").text
        assert "王五" in page and "值班员" in page and 'name="csrf"' in page
        new = {"username": "lisi", "display_name": "李四", "role": "operator"}
        assert admin.post("/ui/users", data=new | {"password": "lisi-password"}).status_code == 303
        assert gw.accounts.get("lisi").display_name == "李四"
        assert admin.post("/ui/users/lisi/role", data={"role": "shift_lead"}).status_code == 303
        assert gw.accounts.get("lisi").role is Role.shift_lead
        assert admin.post("/ui/users/wangwu/disable", data={}).status_code == 303
        assert gw.accounts.get("wangwu").disabled
        mine = admin.post("/ui/users/boss/disable", data={})
        assert mine.status_code == 409 and "不能停用自己的账号" in mine.text
        short = admin.post("/ui/users", data=new | {"username": "x2", "password": "short"})
        assert short.status_code == 409 and "密码至少 8 位" in short.text
        # the same page from another site: refused
        evil = {"Origin": "https://evil.example"}
        assert admin.post("/ui/users/wangwu/enable", data={}, headers=evil).status_code == 403


def test_expired_session_is_sent_to_sign_in_again_with_the_reason(client, gw, clock):
    clock.advance(timedelta(hours=gw.config.auth.absolute_hours, minutes=1))
    r = client.get("/?id=x", headers={"Accept": "text/html"})
    assert r.status_code == 303 and "expired=1" in r.headers["location"]
    assert "登录已过期" in client.get(r.headers["location"]).text
