"""A profile set installed once in the cloud, pulled by a gateway over HTTP, used offline."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

from sqlalchemy import select

from coalguard.cloud.checks.profile_sets import ProfileSetRow, install
from coalguard.edge.clock import ManualClock
from coalguard.edge.quality import ProfileSet
from coalguard.edge.quality.profiles import SHIPPED_DIR
from coalguard.gateway.profile_cache import CACHE_KEY
from coalguard.gateway.uplink_status import UplinkStatus
from coalguard.gateway.web.metrics import render_metrics
from tests.cloud.checks.checkpoint_feed import START, _truck, gateway_token
from tests.cloud.checks.test_profile_sets import _gateway
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.conftest import COALGUARD
from tests.gateway.conftest import PASSING
from tests.support.metrics import sample
from tests.support.servers import ThreadServer


def _published_tables(tmp: Path) -> Path:
    """An administrator's directory: GB 34169 无烟1号 with a tighter ash limit, verified."""
    d = tmp / "hebei-tables"
    d.mkdir()
    text = (SHIPPED_DIR / "gb34169-2017-anthracite-1.toml").read_text()
    text = text.replace("max = 12.50", "max = 5.00").replace("verified = false", "verified = true")
    (d / "gb34169-2017-anthracite-1.toml").write_text(text)
    return d


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COALGUARD, "cloud", "profiles", *args, "--db", db_url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _judge(gw, plate: str) -> dict:  # type: ignore[no-untyped-def]
    iid = _truck(gw, plate, f"S-{plate[-3:]}", PASSING, "山西大同")
    return gw.workflow.get(iid)


def test_gateway_pulls_the_installed_set_judges_with_it_offline(
    tmp_path: Path, cloud_db: str
) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    tables = _published_tables(tmp_path)
    done = _cli(cloud_db, "install", str(tables), "--label", "hebei-2026-11")
    assert done.returncode == 0, done.stderr
    installed = ProfileSet.load([tables], label="hebei-2026-11")
    assert installed.version in done.stderr
    assert installed.version in _cli(cloud_db, "list").stdout
    token = gateway_token(app, "cp-zz")
    clock = ManualClock(START)
    gw = _gateway(tmp_path, ProfileSet.load(), clock)
    shipped = gw.profiles.version
    with ThreadServer(app) as server:
        gw.config.cloud.url = server.url
        gw.config.cloud.token = token
        assert gw.refresh_profiles() == installed.version
        row = _judge(gw, "冀A00001")
        verdict = row["verdict"]
        assert (row["overall"], verdict["profile_set"]) == ("fail", installed.version)
        assert verdict["provisional"] is False
        gw.config.cloud.token = "stale"
        assert gw.refresh_profiles() == installed.version  # 401: the set in force stays
        sets = client(app).get("/api/v1/profile-sets", headers=bearer(tok["county"])).json()
        assert sets["active"] == installed.version
        assert [s["version"] for s in sets["installed"]] == [installed.version]
    # The cloud is gone and the gateway restarts: it judges with the cached set.
    gw.store.close()
    again = _gateway(tmp_path, ProfileSet.load(), clock)
    try:
        assert again.profiles.version == installed.version
        assert again.refresh_profiles() == installed.version  # cloud unreachable
        row = _judge(again, "冀A00002")
        assert row["verdict"]["profile_set"] == installed.version
        # Nothing cached (a new gateway): the shipped set.
        fresh = _gateway(tmp_path / "new", ProfileSet.load(), clock)
        assert fresh.profiles.version == shipped
        fresh.store.close()
    finally:
        again.store.close()


def test_a_bad_profile_set_is_refused_counted_and_the_previous_kept(
    tmp_path: Path, cloud_db: str
) -> None:
    app = make_app(cloud_db)
    token = gateway_token(app, "cp-zz")
    gw = _gateway(tmp_path, ProfileSet.load(), ManualClock(START))
    before = gw.profiles.version
    # A set whose stored copy was altered after installation (its digest no longer fits),
    # and one without the checkpoint's jurisdiction: both refused.
    done = _cli(cloud_db, "install", str(_published_tables(tmp_path)), "--label", "altered")
    assert done.returncode == 0, done.stderr
    with app.state.sessions.begin() as s:
        row = s.scalars(select(ProfileSetRow).where(ProfileSetRow.active.is_(True))).one()
        body = copy.deepcopy(row.body)
        body["profiles"][0]["limit"][0]["max"] = 99.0
        row.body = body
    try:
        with ThreadServer(app) as server:
            gw.config.cloud.url = server.url
            gw.config.cloud.token = token
            assert gw.refresh_profiles() == before
            assert gw.profile_cache.refused() == 1
            elsewhere = ProfileSet.load(label="elsewhere")
            del elsewhere.jurisdictions["hebei-2022"]
            with app.state.sessions.begin() as s:
                install(s, elsewhere, "admin", START)
            assert gw.refresh_profiles() == before
        assert gw.profile_cache.refused() == 2
        metrics = render_metrics(gw, UplinkStatus("not_configured", 0, 0.0))
        assert sample(metrics, "coalguard_gateway_profile_set_refused_total") == 2
        assert sample(metrics, "coalguard_gateway_profile_set", version=before) == 1
        assert gw.store.scalar("SELECT value FROM meta WHERE key = ?", (CACHE_KEY,)) is None
        assert _judge(gw, "冀A00003")["overall"] == "pass"
    finally:
        gw.store.close()
