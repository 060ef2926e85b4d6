"""Live alarm board latency: a CO alarm committed by the ingest's store → its card on a board
stream, against a bare poller of the same table at the same interval, measured in one run.

A real cloud app served by uvicorn on 127.0.0.1; one board stream read with httpx (the
browser's EventSource reads the same bytes); the bare baseline is a thread running
``SELECT max(id) FROM co_alert`` every ``board_poll_s``: the best any poller at that
interval can do. Goal: board p99 <= 1 s (issue 13: "appears within a second").

Usage: python bench/board_latency.py [--alarms 40] [--db URL] [--poll 0.25]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import tempfile
import threading
import time
from datetime import timedelta

import httpx
import uvicorn
from sqlalchemy import func, select

from coalguard.cloud.alert_lifecycle import resolve
from coalguard.cloud.app import create_app
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore, Received
from coalguard.cloud.co.tables import CoAlert
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import SystemClock

CLOCK = SystemClock()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alarm(dev: str, seq: int) -> Received:
    now = CLOCK.now()
    doc = {"ts": int(now.timestamp() * 1000), "seq": seq, "type": "alarm_start", "co_ppm": 180}
    return Received(f"co/v1/{dev}/event", json.dumps(doc).encode(), now)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alarms", type=int, default=40)
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--poll", type=float, default=0.25, help="board_poll_s")
    args = ap.parse_args()
    db = args.db or f"sqlite:///{tempfile.mkdtemp()}/board.sqlite"
    app = create_app(
        CloudSettings(db_url=db, checks_interval_s=0, board_poll_s=args.poll), schema="create"
    )
    token = issue_token(app.state.sessions, "bench-county", "130102", "operator", now=CLOCK.now())
    store = MessageStore(app.state.sessions, AlertBook(load_rules(), ("log",)))
    with app.state.sessions.begin() as s:
        reg = Registration(
            device_id="co-bench-1",
            household=Household(
                name="王家", address="1组3号", village_code="130102001001", phone="13812345678"
            ),
            installer_id="bench",
        )
        register(s, reg, app.state.keyring, CLOCK.now() - timedelta(days=1))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)

    board_seen: dict[str, float] = {}
    bare_seen: dict[int, float] = {}
    stop = threading.Event()

    def read_board() -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        with (
            httpx.Client(timeout=None) as c,
            c.stream("GET", f"http://127.0.0.1:{port}/board/events", headers=headers) as r,
        ):
            name = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name == "alarm":
                    d = json.loads(line[6:])
                    if d["new"]:
                        board_seen.setdefault(d["id"], time.monotonic())
                if stop.is_set():
                    return

    def read_bare() -> None:
        last = 0
        while not stop.is_set():
            with app.state.sessions() as s:
                top = s.scalar(select(func.max(CoAlert.id))) or 0
            if top > last:
                bare_seen[top] = time.monotonic()
                last = top
            time.sleep(args.poll)

    threading.Thread(target=read_board, daemon=True).start()
    threading.Thread(target=read_bare, daemon=True).start()
    time.sleep(1.0)
    board, bare = [], []
    for k in range(args.alarms):
        time.sleep(random.uniform(0, args.poll))  # any phase of the pollers
        store.apply([alarm("co-bench-1", k + 1)], urgent=True)
        committed = time.monotonic()
        with app.state.sessions() as s:
            alert_id = s.scalar(select(func.max(CoAlert.id)))
        deadline = time.monotonic() + 10
        while (f"co-{alert_id}" not in board_seen or alert_id not in bare_seen) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.002)
        board.append(board_seen[f"co-{alert_id}"] - committed)
        bare.append(bare_seen[alert_id] - committed)
        with app.state.sessions.begin() as s:
            resolve(s.get(CoAlert, alert_id), "bench", CLOCK.now(), None)
    stop.set()
    server.should_exit = True
    b50, b99 = statistics.median(board), pct(board, 0.99)
    r50, r99 = statistics.median(bare), pct(bare, 0.99)
    print(f"database: {db.split(':')[0]}, board_poll_s {args.poll}, {args.alarms} alarms")
    print(f"board stream  p50 {b50 * 1000:6.0f} ms  p99 {b99 * 1000:6.0f} ms")
    print(f"bare poller   p50 {r50 * 1000:6.0f} ms  p99 {r99 * 1000:6.0f} ms")
    print(f"ratio board/bare p50 {b50 / r50:.2f}  (goal: board p99 <= 1000 ms)")


if __name__ == "__main__":
    main()
