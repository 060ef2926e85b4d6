"""What only the SQLite outbox promises: durability, restarts, one owner."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from coalguard.edge.outbox import Outbox, OutboxCorrupt, OutboxLocked, OutboxPolicy
from coalguard.edge.outbox.sqlite import connect
from tests.conftest import COALGUARD
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(60)


def test_wal_and_full_sync(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite") as ob:
        conn = ob._store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_reopen_keeps_records_and_counters_but_not_leases(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    with Outbox(path) as ob:
        a = ob.put("verdict", {"n": 1})
        b = ob.put("reading", {"n": 2}, priority="telemetry")
        ob.put("verdict", {"n": 3})
        ob.ack([ob.lease(1, 10**9)[0].id])
        assert [r.id for r in ob.lease(10, 10**9)] != []  # leased when the process ends
    with Outbox(path) as ob:
        s = ob.stats()
        assert (s.pending, s.pending_critical, s.pending_telemetry) == (2, 1, 1)
        assert s.counters["put"] == 3 and s.counters["acked"] == 1
        assert ob.get(a.id) is None
        assert [r.body["n"] for r in ob.lease(10, 10**9)] == [2, 3]  # leases died
        assert ob.get(b.id).priority == "telemetry"


def test_one_owner_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    with Outbox(path):
        with pytest.raises(OutboxLocked, match="in use"):
            Outbox(path)
        out = subprocess.run(
            [COALGUARD, "edge", "outbox-stats", str(path)], capture_output=True, text=True
        )
        assert out.returncode == 2 and "in use by another process" in out.stderr
    with Outbox(path) as ob:  # free again once closed
        assert ob.stats().pending == 0


def test_a_file_that_is_not_an_outbox_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutboxCorrupt, match="cannot be opened"):
        Outbox(path)
    other = tmp_path / "other.sqlite"
    conn = connect(other)
    conn.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
        "INSERT INTO meta VALUES ('schema', '99');"
    )
    conn.close()
    with pytest.raises(OutboxCorrupt, match="schema version 99"):
        Outbox(other)
    with pytest.raises(OutboxCorrupt, match="schema version 99"):
        Outbox(other)  # the first refusal did not leave the file locked


def test_concurrent_producers_share_commits(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite") as ob:
        barrier = threading.Barrier(8)

        def produce() -> None:
            barrier.wait()
            for i in range(50):
                ob.put("verdict", {"i": i})

        threads = [threading.Thread(target=produce) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        s = ob.stats()
        assert s.counters["put"] == 400
        assert s.commits < 400  # group commit: fewer transactions than records


def test_records_reported_put_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    proc = subprocess.Popen(
        [COALGUARD, "edge", "pump", "--outbox", str(path), "--producers", "4"],
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # count only the put lines: the first line is "ready"
    wait_for(lambda: sum(ln.startswith("put ") for ln in lines) > 300, 30, "300 puts")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    reader.join(10)
    put = [ln.split()[1] for ln in lines if ln.startswith("put ")]
    assert len(put) > 300
    with Outbox(path, policy=OutboxPolicy()) as ob:
        missing = [i for i in put if ob.get(i) is None]
        assert missing == []
        assert ob.stats().pending >= len(put)


def test_wire_json_is_the_wire_dict(tmp_path: Path) -> None:
    import json

    with Outbox(tmp_path / "o.sqlite") as ob:
        r = ob.put("camera_event", {"plate": "冀A12345", "q": 'a"b\\c', "n": [1.5, None]})
        (leased,) = ob.lease(1, 10**9)
        assert json.loads(leased.to_wire_json()) == r.to_wire()
        assert r.to_wire()["born_at"].endswith("+00:00")


def test_a_utf16_database_is_refused(tmp_path: Path) -> None:
    """Bodies go out as their stored bytes: they must be UTF-8."""
    conn = sqlite3.connect(tmp_path / "o.sqlite")
    conn.execute("PRAGMA encoding='UTF-16le'")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(OutboxCorrupt, match="UTF-16le"):
        Outbox(tmp_path / "o.sqlite")


def test_ack_by_place_spares_a_record_that_took_the_place(tmp_path: Path) -> None:
    """An acknowledgement removes a leased record at its place only if the place
    still holds it: a record gone behind the lease's back, and a new one numbered
    into its place, must not be taken for it."""
    with Outbox(tmp_path / "o.sqlite") as ob:
        x = ob.put("verdict", {"n": 1})
        (leased,) = ob.lease_pending(10, 10**9)
        ob._store.delete([x.id])  # gone without the outbox's knowledge
        y = ob.put("verdict", {"n": 2})
        assert ob._store.pending_seqs([y.id]) == {y.id: leased.seq}
        assert ob.ack([x.id]) == 0
        assert [r.id for r in ob.lease(10, 10**9)] == [y.id]


def test_producers_commit_while_a_batch_is_being_read(tmp_path: Path) -> None:
    """The uplink's read does not hold the write lock (WAL reader connection)."""
    with Outbox(tmp_path / "o.sqlite") as ob:
        ob.put_many({"kind": "verdict", "body": {"i": i}} for i in range(3000))
        store = ob._store
        real = store.pending_in_order
        inside = threading.Event()
        go_on = threading.Event()

        def slow_read(limit: int, after: int = 0):  # type: ignore[no-untyped-def]
            rows = real(limit, after)
            inside.set()
            assert go_on.wait(30)
            return rows

        store.pending_in_order = slow_read  # type: ignore[method-assign]
        leased: list = []
        t = threading.Thread(target=lambda: leased.extend(ob.lease(2000, 10**9)))
        t.start()
        assert inside.wait(30)
        ob.put("verdict", {"during": True})  # would deadlock if the read held the write lock
        go_on.set()
        t.join(30)
        assert len(leased) == 2000
        store.pending_in_order = real  # type: ignore[method-assign]
        rest = ob.lease(5000, 10**9)
        assert len(rest) == 1001 and rest[-1].body == {"during": True}
