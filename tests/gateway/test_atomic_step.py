"""A step is one atomic unit: its rows, its ledger entry and its records for the
cloud commit together or not at all (production wiring: ``run.build``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from coalguard.edge.outbox import Outbox
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.run import build
from tests.gateway.conftest import config_dict, registration


def _config(tmp_path: Path) -> GatewayConfig:
    return GatewayConfig.model_validate(config_dict(tmp_path / "data"))


def test_step_that_fails_before_commit_sends_nothing_to_the_cloud(tmp_path: Path) -> None:
    # Regression: the outbox was a separate file that committed the step's
    # transition before the gateway committed its own rows; a crash between the
    # two left the cloud with a step the gateway never made (doubled
    # transitions and forked ledger positions once the step was made again).
    parts = build(_config(tmp_path))
    try:
        gw = parts.gateway
        iid = gw.workflow.arrive("冀A12345", "王五")
        before = parts.outbox.stats().pending
        gw.store.connection.execute(
            "CREATE TEMP TRIGGER crash_at_ledger BEFORE INSERT ON ledger "
            "BEGIN SELECT RAISE(ABORT, 'process killed'); END"
        )
        with pytest.raises(sqlite3.IntegrityError, match="process killed"):
            gw.workflow.register(iid, "王五", registration())
        gw.store.connection.execute("DROP TRIGGER crash_at_ledger")
        assert parts.outbox.stats().pending == before  # no transition record went out
        assert gw.workflow.get(iid)["state"] == "arrived"
        gw.workflow.register(iid, "王五", registration())  # the operator does it again
        sent = parts.outbox.lease(100, 10**9)
        steps = [(r.body["kind"], r.body["seq"]) for r in sent if r.kind == "ledger.entry"]
        assert steps == [("arrive", 1), ("register", 2)]
        transitions = [r.body["seq"] for r in sent if r.kind == "inspection.transition"]
        assert transitions == [1, 2]
        _, problems = gw.ledger.verify()
        assert problems == []
    finally:
        parts.close()


def test_records_of_an_old_outbox_file_are_adopted_once(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    cfg.storage.data_dir.mkdir(parents=True)
    old = Outbox(cfg.legacy_outbox_path)
    made = [old.put("inspection.transition", {"n": i}) for i in range(3)]
    old.ack([made[0].id])  # already delivered: stays behind
    old.close()
    parts = build(cfg)
    try:
        pending = parts.outbox.lease(100, 10**9)
        assert [r.id for r in pending] == [r.id for r in made[1:]]
        assert [r.born_at for r in pending] == [r.born_at for r in made[1:]]
    finally:
        parts.close()
    assert not cfg.legacy_outbox_path.exists()
    assert cfg.legacy_outbox_path.with_name("outbox.sqlite.migrated").exists()
    parts = build(cfg)  # a second start adopts nothing again
    try:
        assert parts.outbox.stats().pending == 2
    finally:
        parts.close()
