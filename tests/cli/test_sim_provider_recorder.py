"""``coalguard sim provider-recorder``: a cloud configured with the settings it prints
sends through it, and it shows the message as the phone would read it (number masked)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from coalguard.cloud.co.channels import Outbound
from coalguard.cloud.co.providers import provider_channels
from coalguard.cloud.co.providers.settings import ProviderSettings
from tests.conftest import free_port
from tests.support.processes import stop_process, wait_for_port
from tests.support.waiting import wait_for

PREFIX = "COALGUARD_PROVIDER_"


def test_the_demo_recorder_prints_settings_and_each_message(
    coalguard_cmd: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "out.txt"
    env = {**os.environ, "COLUMNS": "300"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [coalguard_cmd, "sim", "provider-recorder", "--port", str(port),
             "--tls-dir", str(tmp_path / "tls"), "--lang", "en"],
            stdout=out, stderr=subprocess.PIPE, env=env,
        )  # fmt: skip
    try:
        wait_for_port(proc, port, 30, "the provider recorder")
        wait_for(lambda: f"{PREFIX}ALIYUN_SIGN_NAME" in log.read_text(), 10, "its settings")
        text = log.read_text()
        assert "not a carrier" in text
        values = dict(
            line.strip().split("=", 1)
            for line in text.splitlines()
            if line.strip().startswith(PREFIX)
        )
        settings = ProviderSettings(
            **{k.removeprefix(PREFIX).lower(): v for k, v in values.items()}
        )
        body = {
            "kind": "co_alarm",
            "region_code": "140105",
            "household": {"name": "李四", "address": "西村3号"},
            "detail": {"co_ppm": 180},
            "ack_url": "https://cg.example/a/Q1",
        }
        for ch in provider_channels(settings).values():
            ch.send(Outbound(body, "13900001111"))
        shown = wait_for(
            lambda: (
                [ln for ln in log.read_text().splitlines() if "139****1111" in ln]
                if log.read_text().count("139****1111") == 3
                else None
            ),
            10,
            "three messages shown",
        )
        assert any(
            "Tencent SMS" in ln and "李四（西村3号）一氧化碳浓度180ppm" in ln for ln in shown
        )
        assert any("Tencent voice" in ln for ln in shown) and any(
            "Aliyun SMS" in ln for ln in shown
        )
        assert "13900001111" not in log.read_text()
    finally:
        stop_process(proc)
