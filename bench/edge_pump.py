"""Edge side of a catch-up: CPU the uplink spends per record, start-up excluded.

    .venv/bin/python bench/edge_pump.py                     # 20,000 truck records
    .venv/bin/python bench/edge_pump.py --records 100000 --runs 3
    .venv/bin/python bench/edge_pump.py --profile 30        # cProfile, top 30 lines

``bench/catchup.py`` measures the whole ``coalguard edge pump`` process, whose
start-up (importing the CLI) is a fixed cost of about 2 s of CPU; here the
``Uplink`` runs in this process against a local ``coalguard cloud serve``
(SQLite) and only the replay is measured: this process's CPU (every thread)
from the first lease to the empty outbox, over the records sent.

Printed beside it, measured in the same run on a copy of the same outbox: a
bare sender that does the least the uplink must do per batch without the
network (read 2,000 rows in order, join their stored text into one body,
gzip it, delete the rows and commit with ``synchronous=FULL``). The machine
is shared; the ratio uplink / bare is the steadier figure.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from catchup import BATCH, fill  # noqa: E402
from local_cloud import start_cloud  # noqa: E402
from truck_records import records  # noqa: E402

from coalguard.edge.outbox import Outbox  # noqa: E402
from coalguard.edge.outbox.sqlite import connect  # noqa: E402
from coalguard.edge.uplink import Uplink, make_config  # noqa: E402


def cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def bare_send(path: Path) -> tuple[int, float]:
    """The least a sender does per batch, without the network: (records, CPU seconds)."""
    conn = connect(path)
    n = 0
    c0 = cpu()
    while True:
        rows = conn.execute(
            "SELECT seq, id, kind, priority, born_us, body FROM records ORDER BY seq LIMIT ?",
            (BATCH,),
        ).fetchall()
        if not rows:
            break
        body = (
            '{"records":['
            + ",".join(
                f'{{"id":"{r[1]}","kind":"{r[2]}","priority":"{r[3]}","born_at":"{r[4]}",'
                f'"body":{r[5]}}}'
                for r in rows
            )
            + "]}"
        )
        gzip.compress(body.encode(), compresslevel=1, mtime=0)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM records WHERE seq <= ?", (rows[-1][0],))
        conn.execute("COMMIT")
        n += len(rows)
    used = cpu() - c0
    conn.close()
    return n, used


def uplink_send(
    outbox: Path, port: int, token: str, profile: cProfile.Profile | None
) -> tuple[int, float, float, int]:
    """Drain ``outbox`` to the cloud: (records, CPU seconds, wall seconds, batches)."""
    config = make_config(
        cloud_url=f"http://127.0.0.1:{port}",
        gateway_id="gw-bench",
        token=token,
        max_records=BATCH,
        backoff_base_s=0.05,
        backoff_cap_s=1.0,
    )
    ob = Outbox(outbox)
    up = Uplink(ob, config)
    n = ob.stats().pending
    try:
        c0, t0 = cpu(), time.perf_counter()
        if profile is not None:
            profile.enable()
        while True:
            wait = up.step()
            if wait is None and ob.stats().pending == 0:
                break
            if wait:
                time.sleep(wait)
        if profile is not None:
            profile.disable()
        used, wall = cpu() - c0, time.perf_counter() - t0
        state = up.state()
    finally:
        up.close()
        ob.close()
    if state.outcomes.get("stored", 0) != n:
        raise SystemExit(f"wrong result: {state.outcomes}, expected {n} stored")
    return n, used, wall, state.batches_sent


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--profile", type=int, default=0, help="print the top N cProfile lines")
    ap.add_argument(
        "--coalguard",
        default=str(Path(sys.executable).with_name("coalguard")),
        help="the coalguard command that serves the cloud",
    )
    args = ap.parse_args()
    recs = list(records(args.records))
    work = Path(tempfile.mkdtemp(prefix="coalguard-edgepump-"))
    try:
        master = work / "filled.sqlite"
        fill(master, recs)
        for run in range(args.runs):
            here = work / f"run{run}"
            here.mkdir()
            for name in ("outbox.sqlite", "bare.sqlite"):
                shutil.copy(master, here / name)
            bare_n, bare_cpu = bare_send(here / "bare.sqlite")
            cloud, port, token_file = start_cloud(
                args.coalguard, here, f"sqlite:///{here}/cloud.sqlite"
            )
            profile = cProfile.Profile() if args.profile else None
            try:
                n, used, wall, batches = uplink_send(
                    here / "outbox.sqlite", port, token_file.read_text().strip(), profile
                )
            finally:
                cloud.terminate()
                cloud.wait(20)
            edge_us, bare_us = used / n * 1e6, bare_cpu / bare_n * 1e6
            print(
                f"run {run + 1}: uplink {edge_us:6.1f} µs CPU/record ({n:,} records, "
                f"{batches} batches, {n / wall:,.0f} records/s, goal <= 40 µs); "
                f"bare sender {bare_us:5.1f} µs; uplink / bare {edge_us / bare_us:.2f} ({load()})"
            )
            if profile is not None:
                pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
                pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
