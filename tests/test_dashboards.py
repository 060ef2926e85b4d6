"""The Grafana dashboards ask only for metrics the real processes expose.

``deploy/grafana/prometheus-cloud.json`` (``cloud serve`` and ``co-ingest``) and
``deploy/grafana/prometheus-gateway.json`` (the gateway): every PromQL query and
template variable is read, and each metric it names must be in the exposition of
a real process started here, so renaming a metric breaks this test, not a
dashboard in production.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import COALGUARD, free_port
from tests.support.gateway import linked_cloud
from tests.support.metrics import exposed_names
from tests.support.mosquitto import Mosquitto
from tests.support.processes import stop_process
from tests.support.servers import CLOUD_ENV, staff_token
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(180)
GRAFANA = Path(__file__).resolve().parents[1] / "deploy" / "grafana"
METRIC = re.compile(r"\bcoalguard_[a-z0-9_]+")


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every panel target and query variable."""
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield f"panel {panel['title']!r} {target['refId']}", target["expr"]
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            yield f"variable {var['name']}", var["query"]


def unknown_metrics(dashboard: dict[str, Any], exposed: set[str]) -> list[str]:
    wrong = []
    for where, expr in queries(dashboard):
        names = METRIC.findall(expr)
        if not names:
            wrong.append(f"{where}: names no coalguard metric: {expr}")
        wrong += [f"{where}: {n} is exposed by no process" for n in names if n not in exposed]
    return wrong


def load(name: str) -> dict[str, Any]:
    return json.loads((GRAFANA / name).read_text(encoding="utf-8"))


def test_every_dashboard_query_names_metrics_the_processes_expose(tmp_path: Path) -> None:
    cloud, gateway = linked_cloud(tmp_path)
    token = staff_token(cloud.db_url, "operator")  # as Prometheus scrapes
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", []).start()
    port = free_port()
    ingest = subprocess.Popen(
        [COALGUARD, "cloud", "co-ingest", "--broker", broker.url(), "--db", cloud.db_url,
         "--metrics", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=CLOUD_ENV,
    )  # fmt: skip
    cloud.start()
    try:
        gateway.start()
        auth = {"Authorization": f"Bearer {token}"}
        serve = httpx.get(f"{cloud.url}/metrics", headers=auth, timeout=10)
        assert serve.status_code == 200, serve.text
        co = wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text,
            60,
            "co-ingest /metrics",
            retry_errors=True,
        )
        gw = httpx.get(f"{gateway.base}/metrics", timeout=10).text
        exposed = {
            "prometheus-cloud.json": exposed_names(serve.text) | exposed_names(co),
            "prometheus-gateway.json": exposed_names(gw),
        }
    finally:
        gateway.stop()
        cloud.stop()
        stop_process(ingest)
        broker.stop()
    assert sorted(p.name for p in GRAFANA.glob("prometheus-*.json")) == sorted(exposed)
    for name, names in exposed.items():
        dashboard = load(name)
        assert dashboard["uid"] and dashboard["panels"], name
        assert unknown_metrics(dashboard, names) == [], name


def test_a_renamed_metric_is_caught() -> None:
    dashboard = load("prometheus-cloud.json")
    wrong = unknown_metrics(dashboard, {"coalguard_build_info"})
    assert any("coalguard_projector_backlog is exposed by no process" in w for w in wrong)
