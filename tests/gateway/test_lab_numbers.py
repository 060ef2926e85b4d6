"""A lab result typed on the page: "nan" or "1e999" is a refused field, not a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from coalguard.gateway.web import create_app
from tests.gateway.conftest import FAILING, RETEST, drive_to_judged
from tests.gateway.session import add_user, sign_in


@pytest.mark.parametrize("value", ["nan", "inf", "1e999"])
def test_lab_report_with_nan_or_infinity_is_refused_not_500(gw, value: str) -> None:  # type: ignore[no-untyped-def]
    iid = drive_to_judged(gw, RETEST)
    add_user(gw.store, "wangwu", "operator", "王五")
    with TestClient(create_app(gw, lang="en"), follow_redirects=True) as client:
        sign_in(client, "wangwu")
        client.post(
            f"/ui/inspections/{iid}/lab_sample",
            data={"lab_sample_id": "L7", "lab_seal_no": "F7", "operator": "王五"},
        )
        lab_id = gw.lab.pending()[0]["id"]
        client.post(f"/ui/lab/{lab_id}/dispatch", data={"lab_name": "lab", "operator": "王五"})
        client.post(f"/ui/lab/{lab_id}/receive", data={"operator": "王五"})
        form = {k: str(v) for k, v in FAILING.items()} | {"Aad": value}
        r = client.post(
            f"/ui/lab/{lab_id}/report", data={"report_no": "R1", "operator": "王五"} | form
        )
    assert r.status_code < 500
    assert "Aad" in r.text and "not a finite number" in r.text
    assert gw.lab.get(lab_id)["reported_at"] is None
