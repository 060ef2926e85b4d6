"""``verify-ledger`` compares the local books with the cloud's copy.

STOPGAP: the cloud's ``GET /api/v1/gateways/{id}/ledger`` is not on main yet,
so these tests serve that contract's JSON from a real HTTP server on
127.0.0.1; once it lands they move to a real ``coalguard cloud serve``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from coalguard.gateway.config import load_config
from coalguard.gateway.run import build
from tests.conftest import COALGUARD, free_port
from tests.gateway.conftest import registration
from tests.gateway.processes import GATEWAY_ID, GatewayProcess
from tests.ingest_support import ThreadServer

TOKEN = "gateway-token-0001"


@dataclass
class Setup:
    gateway: GatewayProcess
    answer: dict[str, Any]
    entries: list[dict[str, Any]]  # the local books as the cloud would hold them


def _cloud_app(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/gateways/{gateway_id}/ledger")
    def ledger(gateway_id: str, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}" or gateway_id != GATEWAY_ID:
            return JSONResponse({"detail": "unknown gateway or token"}, status_code=401)
        return JSONResponse(state["answer"])

    return app


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("ledger-cloud")
    state: dict[str, Any] = {}
    with ThreadServer(_cloud_app(state)) as server:
        gp = GatewayProcess(tmp, cloud_url=server.url)
        (tmp / "token").write_text(TOKEN, encoding="utf-8")
        parts = build(load_config(gp.cfg))
        try:
            gw = parts.gateway
            gw.duty.duty("王五", "on_duty", "早班")
            iid = gw.workflow.arrive("冀A12345", "王五")
            gw.workflow.register(iid, "王五", registration())
            entries = [
                {"book": e.book, "seq": e.seq, "id": e.id, "hash": e.hash, "prev_hash": e.prev_hash}
                for book in ("duty", "inspection")
                for e in reversed(gw.ledger.entries(book))
            ]
        finally:
            parts.close()
        yield Setup(gp, state, entries)


def _answer(setup: Setup, entries: list[dict[str, Any]], forks: list | None = None) -> None:
    setup.answer["answer"] = {"gateway_id": GATEWAY_ID, "entries": entries, "forks": forks or []}


def test_verify_ledger_agrees_with_the_clouds_copy(setup: Setup) -> None:
    _answer(setup, setup.entries[:-1])  # the last entry is still on its way
    r = setup.gateway.cli("verify-ledger")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "compared with the cloud's copy: 2 entries held by both, 1 not yet" in r.stdout
    assert "ledger intact" in r.stdout


def test_verify_ledger_reports_entries_only_the_cloud_holds(setup: Setup) -> None:
    # The local book was restored from an old backup: the cloud has seq 3, we do not.
    extra = setup.entries[-1] | {"seq": 3, "id": "0" * 8, "hash": "e" * 64}
    _answer(setup, [*setup.entries, extra])
    r = setup.gateway.cli("verify-ledger")
    assert r.returncode == 1
    assert "DIFFERS FROM CLOUD inspection #3: the cloud holds entry 00000000" in r.stderr
    assert "truncated or rolled back" in r.stderr and "ledger intact" not in r.stdout


def test_verify_ledger_reports_another_hash_at_the_same_position(setup: Setup) -> None:
    changed = setup.entries[0] | {"hash": "f" * 64}
    _answer(setup, [changed, *setup.entries[1:]])
    r = setup.gateway.cli("verify-ledger")
    assert r.returncode == 1
    assert "DIFFERS FROM CLOUD duty #1: differs from the cloud's copy" in r.stderr


def test_verify_ledger_reports_forks_the_cloud_found(setup: Setup) -> None:
    # Regression: a crash between the outbox commit and the gateway's left two
    # entries at inspection #2 in the cloud, and verify-ledger said "intact".
    mine = setup.entries[-1]
    other = mine | {"id": "11111111-2222-4333-8444-555555555555", "hash": "a" * 64}
    fork = {
        "book": "inspection",
        "seq": 2,
        "ids": [mine["id"], other["id"]],
        "hashes": [mine["hash"], other["hash"]],
    }
    _answer(setup, [*setup.entries, other], [fork])
    r = setup.gateway.cli("verify-ledger")
    assert r.returncode == 1
    assert "DIFFERS FROM CLOUD inspection #2: forked in the cloud: 2 entries" in r.stderr
    assert r.stderr.count("forked in the cloud") == 1


def test_verify_ledger_without_the_clouds_copy_verifies_locally(setup: Setup) -> None:
    setup.answer["answer"] = {"entries": "not a list"}
    r = setup.gateway.cli("verify-ledger")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "cloud copy not available" in r.stderr and "verified locally only" in r.stderr
    assert "field gateway_id" in r.stderr and "ledger intact" in r.stdout


def test_verify_ledger_with_the_cloud_down_says_so_and_verifies_locally(setup: Setup) -> None:
    cfg = setup.gateway.cfg
    down = cfg.with_name("gateway-cloud-down.toml")
    down.write_text(
        cfg.read_text(encoding="utf-8").replace(
            f"http://127.0.0.1:{_port(cfg)}", f"http://127.0.0.1:{free_port()}"
        ),
        encoding="utf-8",
    )
    r = subprocess.run(
        [COALGUARD, "gateway", "verify-ledger", "--config", str(down)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COALGUARD_LANG": "en"},
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ConnectError" in r.stderr and "verified locally only" in r.stderr
    assert "ledger intact" in r.stdout


def _port(cfg: Path) -> int:
    text = cfg.read_text(encoding="utf-8")
    return int(text.split('url = "http://127.0.0.1:')[1].split('"')[0])
