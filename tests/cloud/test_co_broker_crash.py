"""Issue 10 item 6: a broker SIGKILL with the shipped configuration loses no alarm_start.

The drill (``tests/co_crash.py``) starts a real mosquitto with every broker-wide
line of ``deploy/mosquitto/mosquitto.conf``, runs the CO ingest, and has 20
alarms publish 300 alarm_start with QoS 1 (one in flight each, as the contract
says); the broker is SIGKILLed twice mid-stream and restarted. Every
alarm_start that the broker acknowledged must be stored by the cloud.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.co_broker import broker_settings
from tests.co_crash import SHIPPED, drill

pytestmark = pytest.mark.timeout(300)


def test_broker_sigkill_with_shipped_config_loses_no_acknowledged_alarm_start(
    tmp_path: Path,
) -> None:
    result = drill(tmp_path, SHIPPED, alarms=20, per_alarm=15, kill_at=(100, 200))
    assert result.kills == 2
    assert len(result.acked) == 300
    assert result.lost == set(), result.line("shipped")
    assert result.sessions_lost == 0  # the ingest's session survived both crashes


def test_shipped_config_saves_on_every_change() -> None:
    settings = broker_settings(SHIPPED)
    assert "persistence true" in settings
    assert "autosave_on_changes true" in settings
    assert "autosave_interval 1" in settings
    doc = (SHIPPED.parents[2] / "docs" / "co-alarm-mqtt.md").read_text()
    assert "deploy/mosquitto/mosquitto.conf" in doc
