"""Gateway history search benchmark: prints figures and ratios measured in this run.

    .venv/bin/python bench/gateway_history.py                  # 100,000 inspections, 92 days
    .venv/bin/python bench/gateway_history.py --inspections 20000

A gateway keeps every inspection; ``/history`` searches them all. Each search
(``gateway/history.py``: count, then one page of 50) is timed against the
operator page's "today" list on the same database (``Workflow.today``), the
query every page load runs already. Goal: every search well under a second
on a year of a busy checkpoint (about 100,000 trucks).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coalguard.edge.clock import ManualClock  # noqa: E402
from coalguard.gateway.history import HistoryQuery, search  # noqa: E402
from coalguard.gateway.store import Store  # noqa: E402
from coalguard.gateway.stored_time import iso  # noqa: E402
from coalguard.gateway.workflow import Workflow  # noqa: E402

VERDICTS = ("pass", "pass", "pass", "fail", "retest", None)
COMPANIES = ("河北焦化有限公司", "大同煤业", "石家庄热力", "晋北运销")


def fill(store: Store, n: int, end: datetime, days: int) -> None:
    step = timedelta(days=days) / n
    rows = []
    for i in range(n):
        at = iso(end - step * (n - i))
        verdict = VERDICTS[i % len(VERDICTS)]
        reg = json.dumps({"consignor": COMPANIES[i % 5 % len(COMPANIES)]}, ensure_ascii=False)
        rows.append(
            (f"i{i:07d}", f"冀A{i % 90000:05d}", "released", at, at, "manual", reg, verdict)
        )
    with store.tx() as db:
        db.executemany(
            "INSERT INTO inspections(id, plate, state, opened_at, updated_at, source, "
            "registration, overall) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inspections", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=92)
    args = ap.parse_args()
    end = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "gateway.sqlite")
        fill(store, args.inspections, end, args.days)
        wf = Workflow.__new__(Workflow)  # only its reading: today()
        wf.store, wf.clock = store, ManualClock(end)
        base = timed(wf.today)
        print(f"{args.inspections:,} inspections over {args.days} days")
        print(f"baseline: today's list {base * 1000:.1f} ms")
        cases = {
            "no filter, page 1": {},
            "no filter, last page": {"page": "9999"},
            "partial plate 'A1234'": {"plate": "A1234"},
            "one day": {"from": "2026-10-01", "to": "2026-10-01"},
            "verdict fail, 30 days": {"verdict": "fail", "from": "2026-10-27"},
            "company '焦化'": {"company": "焦化"},
            "all filters": {
                "plate": "A1",
                "verdict": "fail",
                "from": "2026-09-01",
                "company": "焦化",
            },
        }
        for name, params in cases.items():
            q = HistoryQuery.parse(params)
            found = search(store, q)
            s = timed(lambda q=q: search(store, q))
            print(f"{name}: {found.total:,} found, {s * 1000:.1f} ms, {s / base:.1f}x today's list")
        store.close()


if __name__ == "__main__":
    main()
