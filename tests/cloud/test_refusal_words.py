"""Every refusal the cloud API sends is worded in the request's language.

Walks every route with bad bodies and checks that, in Chinese, the problem's
``detail`` and each field error's ``detail`` are Chinese sentences (pydantic's
"Field required" or an exception's English text reaching a person fails), and
that English is there when asked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coalguard.cloud.auth import issue_token
from coalguard.cloud.gateways import register_gateway
from tests.cloud.ops_support import bearer, make_app
from tests.cloud.test_route_roles import API, GATEWAY_ONLY, _fill

CJK = re.compile(r"[\u4e00-\u9fff]")
# Three English words in a row: a sentence, not a field name or a value.
ENGLISH = re.compile(r"[A-Za-z]{2,} +[A-Za-z]{2,} +[A-Za-z]{2,}")
# Bodies no route takes: empty, an unknown field, wrong types, not JSON at all.
BAD_BODIES: tuple[Any, ...] = (
    {},
    {"bogus": 1},
    {"name": 5, "role": [], "records": "x"},
    "{not json",
)


def chinese(text: str) -> bool:
    """A Chinese sentence: Chinese words, and no English sentence inside it."""
    return bool(CJK.search(text)) and not ENGLISH.search(text)


def _words(doc: dict[str, Any]) -> list[str]:
    return [doc["detail"], *(e["detail"] for e in doc.get("errors", []))]


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, str], dict[str, str]]:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    admin = bearer(issue_token(app.state.sessions, "root", "", "admin", now=app.state.clock.now()))
    gateway = bearer(register_gateway(app.state.engine, "gw-matrix", now=app.state.clock.now()))
    return TestClient(app, raise_server_exceptions=False), admin, gateway


def _refusals(client: TestClient, admin: dict, gateway: dict, lang: str) -> list[tuple[str, Any]]:
    out = []
    for (method, path), rule in API.items():
        cred = gateway if rule == GATEWAY_ONLY else admin
        bodies = BAD_BODIES if method in ("POST", "PUT") else (None,)
        for body in bodies:
            headers = {**cred, "Accept-Language": lang}
            if isinstance(body, str):
                headers["Content-Type"] = "application/json"
                r = client.request(method, _fill(path), headers=headers, content=body)
            else:
                r = client.request(method, _fill(path), headers=headers, json=body)
            if r.status_code >= 400 and r.status_code != 500:
                out.append((f"{method} {path} {body!r} -> {r.status_code}", r.json()))
    return out


def test_every_route_refuses_a_bad_body_in_chinese(api) -> None:  # type: ignore[no-untyped-def]
    refusals = _refusals(*api, "zh")
    assert len(refusals) > 40
    english = [
        f"{where}: {text}" for where, doc in refusals for text in _words(doc) if not chinese(text)
    ]
    assert english == [], "\n".join(english)


def test_every_route_refuses_a_bad_body_in_english_when_asked(api) -> None:  # type: ignore[no-untyped-def]
    chinese = [
        f"{where}: {text}"
        for where, doc in _refusals(*api, "en")
        for text in _words(doc)
        if CJK.search(text)
    ]
    assert chinese == [], "\n".join(chinese)


def test_cloud_422_field_errors_are_in_the_requests_language(api) -> None:  # type: ignore[no-untyped-def]
    client, admin, _ = api
    body = {"device_id": "X", "installer_id": "", "bogus": 1}

    def errors(lang: str) -> dict[str, dict[str, str]]:
        headers = {**admin, "Accept-Language": lang}
        r = client.post("/api/v1/co/devices", json=body, headers=headers)
        assert r.status_code == 422
        return {e["field"]: e for e in r.json()["errors"]}

    zh, en = errors("zh"), errors("en")
    # The machine-readable part stays pydantic's; only the words change.
    assert zh.keys() == en.keys() and {"body.household", "body.installer_id", "body.bogus"} <= set(
        zh
    )
    assert zh["body.household"]["type"] == "missing" and en["body.household"]["type"] == "missing"
    assert zh["body.household"]["detail"] == "字段 household：必须填写"
    assert en["body.household"]["detail"] == "household: is required"
    assert zh["body.installer_id"]["detail"] == "字段 installer_id：至少需要 1 个字符"
    assert zh["body.bogus"]["detail"] == "字段 bogus：不允许此字段"
    assert "Field required" not in str(zh)


def test_unknown_path_is_worded_not_starlettes_not_found(api) -> None:  # type: ignore[no-untyped-def]
    client, admin, _ = api
    doc = client.get("/api/v1/no-such-thing", headers=admin).json()
    assert (doc["status"], doc["detail"]) == (404, "没有这个地址")
    doc = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"}).json()
    assert doc["detail"] == "no such address"


def test_domain_refusals_are_worded_in_the_requests_language(api) -> None:  # type: ignore[no-untyped-def]
    """A refusal built from a domain error: the error's words, not its English ``str()``."""
    from tests.cloud.test_route_roles import _alarm

    client, admin, _ = api
    calls = [
        ("POST", "/api/v1/users", {"name": "root", "role": "operator"}),  # exists
        (
            "POST",
            "/api/v1/fast-pass/trucks",
            {"plate": "冀A1", "region_code": "13", "report_id": "r"},
        ),
        ("POST", "/api/v1/co/devices/COA-9/commissioning", {"installer_id": "i1"}),
    ]
    alert = _alarm(client.app)
    client.post(f"/api/v1/co/alerts/{alert}/resolve", headers=admin)
    calls.append(("POST", f"/api/v1/co/alerts/{alert}/ack", {}))
    for lang, ok in (("zh", chinese), ("en", lambda text: not CJK.search(text))):
        for method, path, body in calls:
            r = client.request(method, path, json=body, headers={**admin, "Accept-Language": lang})
            assert r.status_code in (404, 409, 422), (path, r.text)
            assert ok(r.json()["detail"]), (lang, path, r.json()["detail"])
