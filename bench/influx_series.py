"""Series an InfluxDB 1.x holds for the CO export, device id as a field (shipped) or a tag.

    .venv/bin/python bench/influx_series.py                  # 10^4 and 10^5 alarms
    .venv/bin/python bench/influx_series.py --alarms 10000 --per-village 20

Writes one ``co_state`` point per alarm (the exporter's own ``co_point`` lines,
through its v1 writer) into a real ``influxd`` started for the run, once with
the shipped schema (``device_id`` a field, ``region_code`` the only tag) and
once with ``device_id`` as a tag, then counts ``SHOW SERIES`` of each database
and prints the series per alarm, the figure that scales to 10^6 alarms.
Alarms are spread over villages at ``--per-village`` alarms each (a province of
10^6 alarms over ~50,000 villages has ~20).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from influxdb_client import Point  # noqa: E402

from coalguard.cloud.influx import co_point  # noqa: E402
from coalguard.cloud.influx_write import V1Writer  # noqa: E402
from tests.support.influxdb import influx_server  # noqa: E402

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
BATCH = 5000


def lines(alarms: int, per_village: int, device_as_tag: bool) -> list[str]:
    out = []
    for k in range(alarms):
        dev = f"co-{k:07d}"
        region = f"130102{k // per_village:06d}"
        payload = {"co_ppm": 3.5, "battery_pct": 87.0, "alarm": "none"}
        p = co_point(dev, region, T0 + timedelta(milliseconds=k), payload)
        line = p.to_line_protocol()
        if device_as_tag:  # the rejected schema: one series per alarm
            line = (
                Point("co_state")
                .tag("device_id", dev)
                .tag("region_code", region)
                .field("co_ppm", 3.5)
                .field("battery_pct", 87.0)
                .field("alarm", "none")
                .time(int(line.rsplit(" ", 1)[1]))
                .to_line_protocol()
            )
        out.append(line)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alarms", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--per-village", type=int, default=20)
    args = ap.parse_args()
    with influx_server() as influx:
        print(f"influxd {influx.url}; {args.per_village} alarms per village")
        print("alarms\tschema\tpoints\tseries\tseries/alarm\twrite s\tseries at 10^6 alarms")
        for n in args.alarms:
            for as_tag in (False, True):
                db = f"s{n}_{'tag' if as_tag else 'field'}"
                influx.query(f'CREATE DATABASE "{db}"', method="POST")
                writer = V1Writer(influx.url, db, None, None, None, 60_000)
                batch = lines(n, args.per_village, as_tag)
                t = time.perf_counter()
                for i in range(0, n, BATCH):
                    writer.write(batch[i : i + BATCH])
                took = time.perf_counter() - t
                writer.close()
                series = len(influx.rows_in(db, "SHOW SERIES"))
                points = influx.rows_in(db, "SELECT count(co_ppm) FROM co_state")[0]["count"]
                schema = "device tag" if as_tag else "device field"
                print(
                    f"{n}\t{schema}\t{points}\t{series}\t{series / n:.4f}\t{took:.1f}\t"
                    f"{round(series / n * 1_000_000)}"
                )


if __name__ == "__main__":
    main()
