"""``verify-ledger`` against the ledger copy of a real ``coalguard cloud serve``.

The local chain alone cannot show that its newest entries were cut off (a
database restored from an old backup) or that the cloud received two entries
for one position; the cloud's copy can.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from coalguard.gateway.ledger import entry_hash
from coalguard.gateway.sink import dumps
from tests.gateway.client import GatewayClient
from tests.gateway.conftest import registration
from tests.support.gateway import GATEWAY_ID, GatewayProcess, linked_cloud
from tests.support.servers import CloudProcess
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)


@dataclass
class Checkpoint:
    cloud: CloudProcess
    gateway: GatewayProcess
    token: str
    backup: Path  # the gateway database as it was after the arrival only

    def cloud_ledger(self) -> dict:
        r = httpx.get(
            f"{self.cloud.url}/api/v1/gateways/{GATEWAY_ID}/ledger",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=5,
        )
        r.raise_for_status()
        return r.json()


@contextmanager
def walked_truck(tmp: Path) -> Iterator[Checkpoint]:
    """A cloud that holds the ledger entries of one truck's arrival and
    registration; the gateway stopped, the cloud still serving."""
    cloud, gateway = linked_cloud(tmp)
    cloud.start()
    gateway.start()
    token = (tmp / "token").read_text().strip()
    client = GatewayClient(gateway.base)
    try:
        client.sign_in(gateway.db_path)
        iid = client.arrive("冀A12345")
        backup = tmp / "backup.sqlite"
        src, dst = sqlite3.connect(gateway.db_path), sqlite3.connect(backup)
        src.backup(dst)  # a consistent copy while the gateway runs
        src.close()
        dst.close()
        client.step(iid, "register", registration())
        cp = Checkpoint(cloud, gateway, token, backup)
        wait_for(
            lambda: len(cp.cloud_ledger()["entries"]) == 2,
            60,
            what="ledger copy in the cloud",
            retry_errors=True,
        )
        gateway.stop()
        yield cp
    finally:
        client.close()
        gateway.stop()
        cloud.stop()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkpoint]:
    with walked_truck(tmp_path_factory.mktemp("ledger-cloud")) as cp:
        yield cp


def test_verify_ledger_agrees_with_the_clouds_copy(checkpoint: Checkpoint) -> None:
    r = checkpoint.gateway.cli("verify-ledger")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "compared with the cloud's copy: 2 entries held by both, 0 not yet" in r.stdout
    assert "ledger intact" in r.stdout


def test_verify_ledger_finds_a_book_restored_from_an_old_backup(
    checkpoint: Checkpoint, tmp_path: Path
) -> None:
    # The local chain of the old copy is intact on its own: only the cloud shows
    # that inspection #2 was cut off.
    restored = GatewayProcess(tmp_path, cloud_url=checkpoint.cloud.url)
    shutil.copy(checkpoint.gateway.dir / "token", tmp_path / "token")
    restored.db_path.parent.mkdir(parents=True)
    shutil.copy(checkpoint.backup, restored.db_path)
    r = restored.cli("verify-ledger")
    assert r.returncode == 1
    assert "DIFFERS FROM CLOUD Inspection record #2: the cloud holds entry" in r.stderr
    assert "truncated or rolled back" in r.stderr
    assert "TAMPERED" not in r.stderr and "ledger intact" not in r.stdout


def test_verify_ledger_reports_a_fork_the_cloud_found(tmp_path: Path) -> None:
    # Regression: a crash between the outbox's commit and the gateway's left two
    # entries at one position in the cloud, and verify-ledger said "intact".
    with walked_truck(tmp_path) as cp:
        db = sqlite3.connect(tmp_path / "cloud.sqlite")
        (body,) = db.execute(
            "SELECT body FROM gateway_records WHERE kind = 'ledger.entry' "
            "AND json_extract(body, '$.seq') = 2"
        ).fetchone()
        db.close()
        twin = json.loads(body) | {"at": "2026-11-23T00:31:00.000000+00:00"}
        twin_id = str(uuid.uuid4())
        twin["hash"] = entry_hash(
            twin["book"],
            twin["seq"],
            twin_id,
            twin["at"],
            twin["operator"],
            twin["kind"],
            dumps(twin["body"]),
            twin["corrects"],
            twin["prev_hash"],
        )
        record = {
            "id": twin_id,
            "kind": "ledger.entry",
            "priority": "critical",
            "born_at": twin["at"],
            "body": twin,
        }
        r = httpx.post(
            f"{cp.cloud.url}/api/v1/gateways/{GATEWAY_ID}/batches",
            json={"records": [record]},
            headers={"Authorization": f"Bearer {cp.token}"},
        )
        assert r.status_code == 200, r.text
        wait_for(
            lambda: cp.cloud_ledger()["forks"],
            30,
            what="the cloud to find the fork",
            retry_errors=True,
        )
        r = cp.gateway.cli("verify-ledger")
        assert r.returncode == 1
        assert "DIFFERS FROM CLOUD Inspection record #2: forked in the cloud: 2 entries" in r.stderr
        assert twin_id in r.stderr and "ledger intact" not in r.stdout
