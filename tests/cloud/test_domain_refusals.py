"""A domain ``Refusal`` raised anywhere under a route is answered in one place: a problem
document with the refusal's own status, worded by its own catalog key in the reader's
language."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from coalguard.cloud.api import problems
from coalguard.cloud.delivery.errors import DeliveryError
from coalguard.cloud.subsidies.payouts import PayoutError
from coalguard.i18n import t


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/supplier")
    def supplier() -> None:
        raise DeliveryError("no_supplier", 404, id=7)

    @app.get("/list")
    def drawn() -> None:
        raise PayoutError("list_step", now="paid", to="posted")

    return app


def test_a_domain_refusal_answers_with_its_own_status_and_words() -> None:
    c = TestClient(_app())
    r = c.get("/supplier", headers={"Accept-Language": "zh"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == t("delivery.no_supplier", "zh").format(id=7)
    en = c.get("/supplier", headers={"Accept-Language": "en"}).json()["detail"]
    assert en == t("delivery.no_supplier", "en").format(id=7) and en != r.json()["detail"]
    assert c.get("/list").status_code == 409  # a payout step's default status
