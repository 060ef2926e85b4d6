"""Daily dispatch and weekly bulletin: figures from real gateway records, three formats, CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from coalguard.cli.main import app as cli
from coalguard.cloud.co.tables import CoAlert, CoDevice
from coalguard.edge.clock import ManualClock
from tests.cloud.checks.checkpoint_feed import (
    START,
    build_gateway,
    gateway_token,
    records,
    run_day,
    send,
)
from tests.cloud.ops_support import bearer, client, make_app, users


def _alarms(app) -> None:  # type: ignore[no-untyped-def]
    with app.state.sessions.begin() as s:
        for n, (village, seen) in enumerate(
            [
                ("130102001001", START),
                ("130102001001", START - timedelta(days=3)),
                ("130102002001", None),
            ]
        ):
            s.add(
                CoDevice(
                    device_id=f"co-{n}",
                    registered=True,
                    region_code=village,
                    online=seen == START,
                    last_seen=seen,
                )
            )
        for n, ack_after in enumerate([timedelta(minutes=4), timedelta(minutes=10), None]):
            s.add(
                CoAlert(
                    device_id="co-0",
                    region_code="130102001001",
                    kind="co_alarm",
                    severity="critical",
                    status="acknowledged" if ack_after else "open",
                    opened_at=START + timedelta(hours=n),
                    updated_at=START + timedelta(hours=n),
                    acknowledged_at=START + timedelta(hours=n) + ack_after if ack_after else None,
                    acknowledged_by="x" if ack_after else None,
                    occurrences=1,
                    detail={},
                    escalation_level=0,
                )
            )


def test_daily_and_weekly_reports(tmp_path: Path, cloud_db: str) -> None:
    db = cloud_db
    app = make_app(db, ManualClock(START + timedelta(hours=6)))
    tok = users(app)
    c = client(app)
    c.put(
        "/api/v1/checkpoints/cp-zz",
        json={"name": "涿州检查站", "region_code": "130102", "jurisdiction": "hebei-2022"},
        headers=bearer(tok["admin"]),
    )
    clock = ManualClock(START)
    gw = build_gateway(tmp_path, "cp-zz", "130102", clock)
    try:
        run_day(gw, clock)
        send(c, "gw-zz", gateway_token(app, "gw-zz"), records(gw))
    finally:
        gw.store.close()
    app.state.projector.run_until_idle()
    _alarms(app)
    county = bearer(tok["county"])
    # START is 08:30 on 2026-11-23 in Asia/Shanghai.
    doc = c.get("/api/v1/reports/daily?date=2026-11-23", headers=county).json()
    total = doc["checkpoints"]["total"]
    assert (total["checked"], total["fail"], total["turned_back"]) == (4, 1, 1)
    assert doc["checkpoints"]["by_checkpoint"][0]["name"] == "涿州检查站"
    assert doc["lab"]["sampled"] == 1 and doc["lab"]["overdue_now"] == 0
    alarms = doc["alarms"]
    assert (alarms["installed"], alarms["online"], alarms["alarms_raised"]) == (3, 1, 3)
    assert alarms["response"] == {"count": 2, "median_min": 7.0, "p90_min": 10.0}
    assert alarms["silent_by_village"] == [
        {"village_code": "130102001001", "silent": 1},
        {"village_code": "130102002001", "silent": 1},
    ]
    assert doc["sales_points"] is None
    empty = c.get("/api/v1/reports/daily?date=2026-11-22", headers=county).json()
    assert empty["checkpoints"]["total"]["checked"] == 0
    assert (
        c.get("/api/v1/reports/daily?date=2026-11-23&region=14", headers=county).status_code == 403
    )

    rows = list(
        csv.reader(
            io.StringIO(
                c.get("/api/v1/reports/daily?date=2026-11-23&format=csv", headers=county).text
            )
        )
    )
    assert rows[0] == ["section", "key", "metric", "value"]
    assert ["checkpoint", "cp-zz", "fail", "1"] in rows
    html = c.get("/api/v1/reports/weekly?date=2026-11-25&format=html", headers=county).text
    assert "每周通报" in html and "2026-11-19 至 2026-11-25" in html and html.count("<svg") == 2
    assert "涿州检查站" in html and "辖区内尚未登记煤炭经营网点" in html

    # The CLI writes the same report to a file.
    out = tmp_path / "weekly.json"
    r = CliRunner().invoke(
        cli,
        [
            "cloud",
            "report",
            "weekly",
            "--region",
            "130102",
            "--date",
            "2026-11-25",
            "--format",
            "json",
            "--out",
            str(out),
            "--db",
            db,
        ],
    )
    assert r.exit_code == 0, r.output
    weekly = json.loads(out.read_text(encoding="utf-8"))
    assert [d["checked"] for d in weekly["series"]] == [0, 0, 0, 0, 4, 0, 0]
    r = CliRunner().invoke(
        cli, ["cloud", "report", "daily", "--region", "13", "--date", "x", "--db", db]
    )
    assert "use YYYY-MM-DD" in str(r.exception)


def test_report_generation_time_is_shown_in_shanghai_time(cloud_db: str) -> None:
    """The report said "生成时间 2026-11-23T06:30:00 UTC": people read Beijing time."""
    app = make_app(cloud_db, ManualClock(datetime(2026, 11, 23, 6, 30, tzinfo=UTC)))
    tok = users(app)
    c = client(app)
    for lang, words in (("zh", "生成时间 2026-11-23 14:30:00（北京时间）"), ("en", "14:30:00")):
        html = c.get(
            f"/api/v1/reports/daily?date=2026-11-23&format=html&lang={lang}",
            headers=bearer(tok["county"]),
        ).text
        assert words in html
        assert "06:30" not in html and "UTC</p>" not in html
    english = c.get(
        "/api/v1/reports/weekly?date=2026-11-23&format=html&lang=en",
        headers=bearer(tok["county"]),
    ).text
    assert "weekly bulletin" in english and "2026-11-17 to 2026-11-23" in english
    assert not re.search(r"[\u4e00-\u9fff]", english)  # no Chinese left in the English report
    args = ["cloud", "report", "daily", "--region", "130102", "--date", "2026-11-23"]
    r = CliRunner().invoke(cli, [*args, "--lang", "en", "--db", cloud_db])
    assert r.exit_code == 0, r.output
    assert "daily dispatch" in r.output and "(Beijing time, UTC+8)" in r.output


def test_report_for_year_one_is_refused_not_a_server_error(cloud_db: str) -> None:
    """The API fuzzer's ``date=0001-01-01``: Shanghai midnight of that day is before
    datetime.min in UTC, so building the period raised OverflowError (a 500)."""
    app = make_app(cloud_db, ManualClock(datetime(2026, 11, 23, 6, 30, tzinfo=UTC)))
    county = bearer(users(app)["county"])
    c = client(app)
    for kind, day in (("daily", "0001-01-01"), ("weekly", "0001-01-03"), ("daily", "9999-12-31")):
        r = c.get(f"/api/v1/reports/{kind}?date={day}", headers=county)
        assert r.status_code == 422, (kind, day, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert c.get("/api/v1/reports/daily?date=2000-01-01", headers=county).status_code == 200
