"""Household names are masked by one policy, per role, wherever they leave the cloud.

Which caller sees what is data below; every way a household name goes out
(device, device list, registration answer, season check JSON and CSV, the
alarm page) is checked against it.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from coalguard.cloud.auth import add_user, new_token
from tests.cloud.co.co_support import T0
from tests.cloud.ops_support import bearer, client, make_app

VILLAGE = "130102001001"
NAME, MASKED = "孙小明", "孙**"
PHONE_MASKED = "135****1234"  # the number is only ever stored masked (and as a keyed hash)

# caller -> (role, granted personal data?, the household name it sees)
SEES = {
    "admin": ("admin", False, NAME),
    "operator": ("operator", False, MASKED),
    "operator granted personal data": ("operator", True, NAME),
    "installer": ("installer", False, MASKED),
    "gateway": ("gateway", False, MASKED),
}


def _tokens(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out = {}
    with app.state.sessions.begin() as s:
        for i, (caller, (role, personal, _)) in enumerate(SEES.items()):
            now = app.state.clock.now()
            user = add_user(s, f"u{i}", role, "130102", personal_data=personal, now=now)
            out[caller] = new_token(s, user, now=now)
    return out


def test_household_names_are_masked_per_role(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    tok = _tokens(app)
    c = client(app)
    reg = {
        "device_id": "COA-1",
        "installer_id": "i1",
        "household": {"name": NAME, "address": "1组", "village_code": VILLAGE,
                      "phone": "13500001234"},
    }  # fmt: skip
    r = c.post("/api/v1/co/devices", json=reg, headers=bearer(tok["admin"]))
    assert r.status_code == 201 and r.json()["household"]["name"] == NAME
    since = (T0 - timedelta(days=1)).isoformat()
    for caller, (_, _, name) in SEES.items():
        h = bearer(tok[caller])
        seen = {
            "device": c.get("/api/v1/co/devices/COA-1", headers=h).json()["household"],
            "list": c.get("/api/v1/co/devices", headers=h).json()[0]["household"],
        }
        assert {k: (v["name"], v["phone"]) for k, v in seen.items()} == {
            k: (name, PHONE_MASKED) for k in seen
        }, caller
        q = {"since": since}
        (row,) = c.get("/api/v1/co/season-check", headers=h, params=q).json()["alarms"]
        assert (row["household"], row["phone"]) == (name, PHONE_MASKED), caller
        text = c.get("/api/v1/co/season-check", headers=h, params={**q, "format": "csv"}).text
        (row,) = csv.DictReader(io.StringIO(text))
        assert (row["household"], row["phone"]) == (name, PHONE_MASKED), caller
        page = c.get("/alarms/COA-1", headers=h).text
        assert f"住户 {name} " in page, caller
        if name == MASKED:
            assert NAME not in page, caller
    # An installer registering a household sees the answer masked too.
    reg["device_id"] = "COA-2"
    r = c.post("/api/v1/co/devices", json=reg, headers=bearer(tok["installer"]))
    assert r.status_code == 201 and r.json()["household"]["name"] == MASKED
