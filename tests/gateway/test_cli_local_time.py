"""Times the gateway's CLI prints are Asia/Shanghai, like the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from coalguard.cli.gateway import app
from coalguard.gateway.config import DEFAULT_RETENTION_DAYS
from tests.conftest import free_port
from tests.gateway.test_process import CONFIG, FASTPASS


def test_purge_prints_its_cutoff_in_shanghai_time_not_utc(tmp_path: Path) -> None:
    cfg = tmp_path / "gateway.toml"
    cfg.write_text(CONFIG.format(port=free_port()), encoding="utf-8")
    (tmp_path / "fastpass.toml").write_text(FASTPASS, encoding="utf-8")
    before = datetime.now(UTC)
    r = CliRunner().invoke(app, ["purge", "--config", str(cfg), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    m = re.search(r"截止 (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)（北京时间）", r.output)
    assert m, r.output
    assert "+00:00" not in r.output
    shown = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=ZoneInfo("Asia/Shanghai")
    )
    expected = before - timedelta(days=DEFAULT_RETENTION_DAYS)
    assert abs(shown - expected) < timedelta(minutes=5)
