"""Profile-set versions on verdicts: the cloud re-judges like with like; a gap is shown once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from coalguard.cloud.checks.profile_sets import install
from coalguard.cloud.checks.tables import VerdictRow
from coalguard.edge.clock import ManualClock
from coalguard.edge.quality import Limit, ProfileSet
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import StoreSink
from coalguard.gateway.store import Store
from tests.cloud.checks.checkpoint_feed import START, _truck, gateway_token, records, send
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.gateway.conftest import PASSING, config_dict

ANTHRACITE = "gb34169-2017/anthracite-1"


def strict_set(label: str) -> ProfileSet:
    """The shipped set with Hebei's anthracite ash limit tightened: every test truck fails it."""
    ps = ProfileSet.load(label=label)
    p = ps.profiles[ANTHRACITE]
    limits = [Limit(indicator="Ad", max=5.0) if lim.indicator == "Ad" else lim for lim in p.limits]
    ps.profiles[ANTHRACITE] = p.model_copy(update={"limits": limits, "version": "2026-strict"})
    return ps


def _gateway(tmp: Path, profiles: ProfileSet, clock: ManualClock) -> Gateway:
    cfg = config_dict(tmp / "cp-zz")
    cfg["checkpoint"].update(id="cp-zz", region_code="130102")
    config = GatewayConfig.model_validate(cfg)
    store = Store(config.db_path)
    return Gateway.build(config, store, StoreSink(store, clock), clock, profiles)


def _alerts(c, tok, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = c.get("/api/v1/alerts", params={"kind": kind}, headers=bearer(tok["county"]))
    assert r.status_code == 200, r.text
    return r.json()


def _fed(tmp_path: Path, db_url: str, gateway_set: ProfileSet, held: bool):  # type: ignore[no-untyped-def]
    app = make_app(db_url)
    tok = users(app)
    c = client(app)
    r = c.put(
        "/api/v1/checkpoints/cp-zz",
        json={"name": "cp-zz", "region_code": "130102", "jurisdiction": "hebei-2022"},
        headers=bearer(tok["admin"]),
    )
    assert r.status_code == 200, r.text
    with app.state.sessions.begin() as s:
        if held:  # installed once, then replaced by the shipped set
            install(s, gateway_set, "admin", START)
        install(s, ProfileSet.load(label="hebei-2026-11"), "admin", START)
    clock = ManualClock(START)
    gw = _gateway(tmp_path, gateway_set, clock)
    for n in range(6):  # the same passing coal on six trucks
        iid = _truck(gw, f"冀A1000{n}", f"P{n}", PASSING, "山西大同")
        if gw.workflow.get(iid)["overall"] == "fail":
            gw.workflow.turn_back(iid, "王五")
        else:
            gw.workflow.release(iid, "王五")
        clock.advance(timedelta(minutes=7))
    send(c, "gw-zz", gateway_token(app, "gw-zz"), records(gw))
    app.state.projector.run_until_idle()
    gw.store.close()
    return app, c, tok


def test_version_gap_is_not_a_disagreement_on_every_truck(tmp_path: Path, db_url: str) -> None:
    """A gateway on an older set failed trucks the cloud's newer set passes: that is one
    version gap, re-judged with the gateway's own set, not a disagreement per truck."""
    older = strict_set("hebei-2026-10")
    app, c, tok = _fed(tmp_path, db_url, older, held=True)
    assert _alerts(c, tok, "verdict.disagreement") == []
    [gap] = _alerts(c, tok, "profiles.version_gap")
    assert gap["subject"].startswith(older.version)
    assert gap["detail"]["held"] is True
    with app.state.sessions() as s:
        rows = list(s.scalars(select(VerdictRow).where(VerdictRow.source == "rapid")))
    assert len(rows) == 6
    assert {(r.profile_set, r.cloud_profile_set, r.agree) for r in rows} == {
        (older.version, older.version, True)
    }
    assert {r.overall for r in rows} == {"fail"}


def test_a_set_the_cloud_never_held_is_one_gap_and_no_comparison(
    tmp_path: Path, db_url: str
) -> None:
    local = strict_set("local")
    app, c, tok = _fed(tmp_path, db_url, local, held=False)
    assert _alerts(c, tok, "verdict.disagreement") == []
    [gap] = _alerts(c, tok, "profiles.version_gap")
    assert gap["detail"]["held"] is False
    with app.state.sessions() as s:
        rows = list(s.scalars(select(VerdictRow).where(VerdictRow.source == "rapid")))
    assert {r.agree for r in rows} == {None}
    assert all("does not hold" in (r.disagreement or "") for r in rows)


def test_verdicts_on_the_cloud_set_are_compared_as_before(tmp_path: Path, db_url: str) -> None:
    """Same version at both ends: compared as before, and no gap."""
    _app, c, tok = _fed(tmp_path, db_url, ProfileSet.load(label="hebei-2026-11"), held=False)
    assert _alerts(c, tok, "profiles.version_gap") == []
    assert _alerts(c, tok, "verdict.disagreement") == []
