"""Cloud API refusals come from the catalogs in the caller's language (Chinese by default)."""

from __future__ import annotations

from tests.cloud.ops_support import bearer, client, make_app, users


def test_api_refusals_speak_the_callers_language(cloud_db: str) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    c = client(app)
    admin = bearer(tok["admin"])
    url = "/api/v1/users/nobody/revoke"
    headers = {**admin, "X-CG-CSRF": "1"}

    r = c.post(url, headers=headers)
    assert (r.status_code, r.json()["detail"]) == (404, "没有用户 nobody")
    assert r.headers["content-language"] == "zh"
    for accept in ("en", "en-US,en;q=0.9", "fr, en;q=0.5, zh;q=0.1"):
        r = c.post(url, headers={**headers, "Accept-Language": accept})
        assert r.json()["detail"] == "no user nobody", accept
    r = c.post(url, headers={**headers, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert r.json()["detail"] == "没有用户 nobody"
    c.cookies.set("cg_lang", "en")  # the dashboard's language switch
    assert c.post(url, headers=headers).json()["detail"] == "no user nobody"
    c.cookies.clear()

    # A county operator asking for another province; no token at all.
    county = bearer(tok["county"])
    r = c.get("/api/v1/reports/daily?date=2026-11-23&region=14", headers=county)
    assert (r.status_code, r.json()["detail"]) == (403, "您只能查看区划 130102 的数据")
    r = c.get("/api/v1/users", headers={"Accept-Language": "en"})
    assert (r.status_code, r.json()["detail"]) == (401, "missing bearer token")
    assert r.headers["www-authenticate"] == "Bearer"
    r = c.post("/api/v1/alerts/co-99999/ack", headers={**county, "Accept-Language": "en"})
    assert (r.status_code, r.json()["detail"]) == (
        404,
        "no alert co-99999, or it is outside your region",
    )
