"""``coalguard demo``'s checkpoint morning, end to end, as a user runs it."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.conftest import COALGUARD


@pytest.mark.timeout(240)
def test_checkpoint_morning_demo_end_to_end():
    env = {**os.environ, "COALGUARD_LANG": "zh", "COLUMNS": "120"}
    r = subprocess.run(
        [COALGUARD, "demo", "--only", "checkpoint"],
        capture_output=True,
        text=True,
        timeout=220,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    out = r.stdout
    counts = {k: int(v) for k, v in re.findall(r"│ (\S+)\s+│ (\d+)\s+│", out)}
    assert counts["放行"] + counts["劝返"] + counts["送实验室检测"] + counts["快速通行"] == 30
    assert counts["快速通行"] == 1 and counts["送实验室检测"] == 1 and counts["劝返"] >= 1
    assert counts["已送达云端的记录"] > 300  # everything recorded reached the cloud
    assert re.search(r"http://127\.0\.0\.1:\d+/", out)  # where to open the page
    assert re.search(r"页面登录账号：demo  密码：\S{8,}", out)  # and how to sign in
    assert "复检" in out and "已送检" in out
