"""The cloud's copy of each gateway's ledgers: kept, verified, forks found (issue 10, item 3).

A real gateway's day goes through the real HTTP batch endpoint; the cloud's
copy must equal the gateway's books entry by entry, a second entry at the
same book and seq is a fork alerted once, and an entry that does not match
its hash or its predecessor shows in the admins' verification view.
Runs on SQLite and on a real PostgreSQL (``db_url``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from coalguard.cloud.batch_store import GatewayRecordRow
from coalguard.cloud.checks.tables import CheckpointAlert
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.ledger import chain
from coalguard.cloud.ledger.tables import LedgerForkRow
from coalguard.edge.clock import ManualClock
from coalguard.edge.ledger_chain import canonical_body, entry_hash
from coalguard.edge.model import utcnow
from coalguard.edge.records import LedgerEntryRecord, decode
from tests.cloud.checks.checkpoint_feed import START, build_gateway, gateway_token, records, run_day
from tests.cloud.ops_support import bearer, make_app, users
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)


class Site:
    def __init__(self, app: Any, http: httpx.Client) -> None:
        self.app, self.http = app, http
        self.tokens = users(app)
        self.gw = {g: gateway_token(app, g) for g in ("gw-zz", "gw-dt")}

    def send(self, gateway_id: str, recs: list[dict[str, Any]]) -> None:
        r = self.http.post(
            f"/api/v1/gateways/{gateway_id}/batches",
            json={"records": recs},
            headers=bearer(self.gw[gateway_id]),
        )
        assert r.status_code == 200 and r.json()["counts"]["rejected"] == 0, r.text
        self.app.state.projector.run_until_idle()

    def ledger(self, gateway_id: str, token: str | None = None) -> httpx.Response:
        return self.http.get(
            f"/api/v1/gateways/{gateway_id}/ledger",
            headers=bearer(token or self.gw[gateway_id]),
        )

    def user(self, path: str, who: str) -> Any:
        r = self.http.get(path, headers=bearer(self.tokens[who]))
        assert r.status_code == 200, r.text
        return r.json()

    def admin(self, path: str) -> Any:
        return self.user(path, "admin")


@pytest.fixture
def site(db_url: str) -> Iterator[Site]:
    app = make_app(db_url)
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Site(app, http)
    app.state.engine.dispose()


def _entry(book: str, seq: int, prev: str, *, note: str, bad_hash: bool = False) -> dict[str, Any]:
    """A ledger.entry record as the gateway's ledger makes it."""
    eid, at, body = str(uuid.uuid4()), "2026-11-23T03:00:00+00:00", {"note": note}
    h = entry_hash(book, seq, eid, at, "王五", "note", canonical_body(body), None, prev)
    return {
        "id": eid,
        "kind": "ledger.entry",
        "priority": "critical",
        "born_at": at,
        "body": {
            "book": book,
            "seq": seq,
            "at": at,
            "operator": "王五",
            "kind": "note",
            "body": body,
            "corrects": None,
            "prev_hash": prev,
            "hash": "0" * 64 if bad_hash else h,
        },
    }


def _alerts(site: Site, kind: str) -> list[dict[str, Any]]:
    return [a for a in site.admin("/api/v1/alerts") if a["kind"] == kind]


def test_cloud_keeps_each_gateways_ledger_and_finds_forks(site: Site, tmp_path: Path) -> None:
    clock = ManualClock(START)
    gw = build_gateway(tmp_path, "cp-zz", "130102", clock)
    run_day(gw, clock)
    site.send("gw-zz", records(gw))
    local = [
        dict(r)
        for r in gw.store.rows(
            "SELECT book, seq, id, hash, prev_hash FROM ledger ORDER BY book, seq"
        )
    ]
    assert len(local) > 10
    resp = site.ledger("gw-zz")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"gateway_id": "gw-zz", "entries": local, "forks": []}
    # A gateway reads only its own copy; a wrong or missing token is 401.
    assert site.ledger("gw-zz", token=site.gw["gw-dt"]).status_code == 401
    assert site.http.get("/api/v1/gateways/gw-zz/ledger").status_code == 401
    assert site.ledger("gw-dt").json() == {"gateway_id": "gw-dt", "entries": [], "forks": []}
    [state] = site.admin("/api/v1/ledgers")
    assert state["gateway_id"] == "gw-zz" and state["intact"] is True
    assert state["entries"] == len(local) and state["forks"] == 0 and state["gaps"] == 0
    # Region scoped: once cp-zz is registered in a Hebei county, that county sees it.
    assert site.user("/api/v1/ledgers", "county") == []
    r = site.http.put(
        "/api/v1/checkpoints/cp-zz",
        json={"name": "cp-zz", "region_code": "130102"},
        headers=bearer(site.tokens["admin"]),
    )
    assert r.status_code == 200, r.text
    assert [g["gateway_id"] for g in site.user("/api/v1/ledgers", "county")] == ["gw-zz"]
    assert site.user("/api/v1/ledgers", "shanxi") == []

    # The gateway writes inspection #2 a second time (a crash between its books and outbox).
    first = next(e for e in local if e["book"] == "inspection" and e["seq"] == 2)
    prev = next(e for e in local if e["book"] == "inspection" and e["seq"] == 1)["hash"]
    twin = _entry("inspection", 2, prev, note="written again after a crash")
    site.send("gw-zz", [twin])
    doc = site.ledger("gw-zz").json()
    by_id = {first["id"]: first["hash"], twin["id"]: twin["body"]["hash"]}
    ids = sorted(by_id)
    assert doc["forks"] == [
        {"book": "inspection", "seq": 2, "ids": ids, "hashes": [by_id[i] for i in ids]}
    ]
    assert [(e["book"], e["seq"]) for e in doc["entries"]] == sorted(
        [(e["book"], e["seq"]) for e in local] + [("inspection", 2)]
    )
    forks = _alerts(site, "ledger.fork")
    assert len(forks) == 1 and forks[0]["subject"] == "gw-zz:inspection#2"
    assert forks[0]["checkpoint_id"] == "cp-zz" and forks[0]["severity"] == "high"
    # A third entry at the same position is the same fork: no second alert.
    site.send("gw-zz", [_entry("inspection", 2, prev, note="and again")])
    assert len(site.ledger("gw-zz").json()["forks"][0]["ids"]) == 3
    forks = _alerts(site, "ledger.fork")
    assert len(forks) == 1 and forks[0]["occurrences"] == 1

    # An entry that does not match its hash, and one whose link points nowhere.
    last = max(e["seq"] for e in local if e["book"] == "inspection")
    site.send("gw-zz", [_entry("inspection", last + 1, "f" * 64, note="broken link")])
    site.send("gw-zz", [_entry("sampling", 99, "e" * 64, note="edited", bad_hash=True)])
    tampered = _alerts(site, "ledger.tampered")
    assert [a["subject"] for a in tampered] == ["gw-zz:sampling#99"]
    [state] = site.admin("/api/v1/ledgers")
    assert state["intact"] is False
    assert (state["forks"], state["bad_hashes"], state["broken_links"], state["gaps"]) == (
        1,
        1,
        1,
        1,
    )
    assert state["last_seq"]["sampling"] == 99
    gw.store.close()


def test_malformed_ledger_entry_is_dead_lettered_not_a_crash(site: Site) -> None:
    bad = _entry("duty", 1, "0" * 64, note="x")
    bad["body"]["seq"] = "one"
    good = _entry("duty", 1, "0" * 64, note="y")
    site.send("gw-zz", [bad, good])
    status = site.admin("/api/v1/checks/projection")
    assert [e["record_id"] for e in status["dead_lettered"]] == [bad["id"]]
    assert "seq" in status["dead_lettered"][0]["reason"]
    assert [e["id"] for e in site.ledger("gw-zz").json()["entries"]] == [good["id"]]


def _stored(rec: dict[str, Any], gateway_id: str = "gw-zz") -> GatewayRecordRow:
    return GatewayRecordRow(id=rec["id"], gateway_id=gateway_id, kind=rec["kind"], body=rec["body"])


def _decoded(rec: dict[str, Any]) -> LedgerEntryRecord:
    entry = decode(rec["kind"], rec["body"])
    assert isinstance(entry, LedgerEntryRecord)
    return entry


def test_twin_entries_projected_at_once_still_make_one_fork(pg_server: Any) -> None:
    """Two projectors (replicas) each holding one twin, in open transactions, on PostgreSQL."""
    engine = make_engine(pg_server.new_database())
    create_schema(engine, for_tests_or_demo=True)
    sessions = make_sessionmaker(engine)
    one, two = _entry("duty", 1, "0" * 64, note="a"), _entry("duty", 1, "0" * 64, note="b")
    done = threading.Event()

    def second() -> None:
        with sessions.begin() as s:
            chain.keep_entries(s, [(_stored(two), _decoded(two))], utcnow())
        done.set()

    def waiting_for_a_lock() -> bool:
        with engine.connect() as c:
            return bool(
                c.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    )
                ).scalar()
            )

    with sessions.begin() as s:
        chain.keep_entries(s, [(_stored(one), _decoded(one))], utcnow())
        other = threading.Thread(target=second)
        other.start()
        wait_for(waiting_for_a_lock, 10, "the second projector to wait for the first")
    other.join(10)
    assert done.is_set()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(LedgerForkRow)) == 1
        kinds = s.scalars(select(CheckpointAlert.kind)).all()
        assert kinds == ["ledger.fork"]
        assert chain.gateway_ledger(s, "gw-zz")["forks"][0]["ids"] == sorted([one["id"], two["id"]])
    engine.dispose()
