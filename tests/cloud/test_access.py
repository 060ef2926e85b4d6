"""Access control: users, roles, hashed tokens, revocation, audit log, rate limit, masking."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from coalguard.cli.main import app as cli
from coalguard.cloud.auth import UserToken, issue_token
from coalguard.cloud.privacy import mask_id_card, mask_name, mask_phone, redact
from coalguard.edge.clock import SystemClock
from coalguard.errors import InputError
from tests.cloud.ops_support import bearer, client, make_app, users


def test_tokens_are_hashed_at_rest_and_revocation_is_immediate(db_url: str) -> None:
    app = make_app(db_url)
    tok = users(app)
    c = client(app)
    assert c.get("/api/v1/auth/me", headers=bearer(tok["county"])).json()["region_prefix"] == (
        "130102"
    )
    with app.state.engine.connect() as conn:
        dump = " ".join(str(r) for r in conn.execute(text("SELECT * FROM cloud_user_token")))
    assert tok["county"] not in dump and len(dump) > 0
    r = c.post("/api/v1/users/county-130102/revoke", headers=bearer(tok["admin"]))
    assert r.status_code == 200 and r.json()["tokens_revoked"] == 1
    assert c.get("/api/v1/auth/me", headers=bearer(tok["county"])).status_code == 401


def test_issue_token_keeps_one_identity_per_name(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    sm = app.state.sessions
    a = issue_token(sm, "desk", "13", "operator", now=SystemClock().now())
    b = issue_token(sm, "desk", "13", "operator", now=SystemClock().now())
    assert a != b
    with pytest.raises(ValueError, match="exists with role operator"):
        issue_token(sm, "desk", "14", "operator", now=SystemClock().now())
    with pytest.raises(ValueError, match="unknown role"):
        issue_token(sm, "x", "13", "king", now=SystemClock().now())
    with sm() as s:
        assert len(s.scalars(select(UserToken)).all()) == 2


def test_admin_manages_only_inside_its_region(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    city_admin = issue_token(
        app.state.sessions, "city-admin", "1301", "admin", now=SystemClock().now()
    )
    c = client(app)
    r = c.post(
        "/api/v1/users",
        json={"name": "hb-x", "region_prefix": "1302"},
        headers=bearer(city_admin),
    )
    assert r.status_code == 403
    r = c.post(
        "/api/v1/users",
        json={"name": "county-2", "region_prefix": "130103", "role": "operator"},
        headers=bearer(city_admin),
    )
    assert r.status_code == 201
    new = r.json()["token"]
    assert c.get("/api/v1/auth/me", headers=bearer(new)).json()["name"] == "county-2"
    names = {u["name"] for u in c.get("/api/v1/users", headers=bearer(city_admin)).json()}
    assert "shanxi-14" not in names and "county-2" in names
    assert c.get("/api/v1/users", headers=bearer(tok["county"])).status_code == 403
    assert c.post("/api/v1/users/shanxi-14/revoke", headers=bearer(city_admin)).status_code == 404


def test_every_write_is_audited_with_who_what_and_where(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    c = client(app)
    c.post("/api/v1/users/inst-1/tokens", headers=bearer(tok["admin"]))
    c.post("/api/v1/users/inst-1/revoke", headers=bearer("cgt_wrong-token-xxxxxxxx"))
    c.get("/api/v1/auth/me", headers=bearer(tok["admin"]))  # a read: not audited
    log = c.get("/api/v1/audit", headers=bearer(tok["admin"])).json()
    assert [(e["actor"], e["action"], e["status"]) for e in log] == [
        ("anonymous", "POST /api/v1/users/inst-1/revoke", 401),
        ("nation-admin", "POST /api/v1/users/inst-1/tokens", 201),
    ]
    assert log[0]["client"] == "testclient" and log[1]["at"].endswith("+00:00")


def test_login_is_rate_limited_and_sets_a_cookie_that_needs_csrf_for_writes(
    tmp_path: Path, cloud_db: str
) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    c = client(app)
    r = c.post("/api/v1/auth/login", json={"token": tok["admin"]})
    assert r.status_code == 200 and "httponly" in r.headers["set-cookie"].lower()
    assert c.get("/api/v1/auth/me").json()["name"] == "nation-admin"
    assert c.post("/api/v1/users/inst-1/tokens").status_code == 403  # no CSRF header
    assert c.post("/api/v1/users/inst-1/tokens", headers={"X-CG-CSRF": "1"}).status_code == 201
    codes = [
        c.post("/api/v1/auth/login", json={"token": f"cgt_guess-{i:04d}"}).status_code
        for i in range(12)
    ]
    assert codes[:9] == [401] * 9 and codes[-1] == 429
    r = c.post("/api/v1/auth/login", json={"token": tok["admin"]})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_personal_data_is_masked() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_card("130102199001011234") == "130102**********34"
    assert mask_name("王小明") == "王**"
    doc = {"driver": "王小明", "plate": "冀A12345", "form": [{"id_card": "130102199001011234"}]}
    assert redact(doc, False) == {
        "driver": "王**",
        "plate": "冀A12345",
        "form": [{"id_card": "130102**********34"}],
    }
    assert redact(doc, True) is doc


def test_users_cli_add_list_token_revoke(tmp_path: Path, cloud_db: str) -> None:
    db = cloud_db
    run = CliRunner().invoke
    assert run(cli, ["cloud", "migrate", "--db", db]).exit_code == 0
    r = run(cli, ["cloud", "users", "add", "zhuozhou", "--region", "130681", "--db", db])
    assert r.exit_code == 0, r.output
    first = r.output.strip().splitlines()[-1]
    r = run(cli, ["cloud", "users", "token", "zhuozhou", "--db", db])
    second = r.output.strip().splitlines()[-1]
    assert first.startswith("cgt_") and second.startswith("cgt_") and first != second
    r = run(cli, ["cloud", "users", "list", "--db", db])
    assert "zhuozhou\t值班员\t130681\t有效\t2 个" in r.output
    r = run(cli, ["cloud", "users", "list", "--db", db, "--lang", "en"])
    assert "zhuozhou\toperator\t130681\tactive\t2 token(s)" in r.output
    r = run(cli, ["cloud", "users", "add", "bad", "--role", "king", "--db", db])
    assert isinstance(r.exception, InputError) and "unknown role" in str(r.exception)
    assert run(cli, ["cloud", "users", "revoke", "zhuozhou", "--db", db]).exit_code == 0
    app = make_app(db)
    c = client(app)
    assert c.get("/api/v1/auth/me", headers=bearer(first)).status_code == 401
    admin = issue_token(app.state.sessions, "root", "", "admin", now=SystemClock().now())
    actions = [e["action"] for e in c.get("/api/v1/audit", headers=bearer(admin)).json()]
    assert actions[:3] == ["users revoke zhuozhou", "users token zhuozhou", "users add zhuozhou"]


def test_region_admin_reads_only_its_regions_audit_log(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    sm = app.state.sessions
    hebei = issue_token(sm, "hebei-admin", "13", "admin", now=SystemClock().now())
    shanxi = issue_token(sm, "shanxi-admin", "14", "admin", now=SystemClock().now())
    nation = issue_token(sm, "nation-admin", "", "admin", now=SystemClock().now())
    c = client(app)
    for tok, name, region in ((hebei, "hb-desk", "130102"), (shanxi, "sx-desk", "140200")):
        new = {"name": name, "region_prefix": region}
        assert c.post("/api/v1/users", json=new, headers=bearer(tok)).status_code == 201
    c.post("/api/v1/users/x/revoke", headers=bearer("cgt_wrong-token-xxxxxxxx"))  # anonymous

    def actors(tok: str, **params: str) -> list[str]:
        r = c.get("/api/v1/audit", headers=bearer(tok), params=params)
        assert r.status_code == 200, r.text
        return [e["actor"] for e in r.json()]

    assert actors(hebei) == ["hebei-admin"]
    assert actors(shanxi) == ["shanxi-admin"]
    assert actors(nation) == ["anonymous", "shanxi-admin", "hebei-admin"]
    assert actors(nation, region="14") == ["shanxi-admin"]
    r = c.get("/api/v1/audit", headers=bearer(hebei), params={"region": "14"})
    assert r.status_code == 403
