"""One validated settings object per cloud process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coalguard.cloud.app import create_app
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.privacy import hash_phone
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import SystemClock
from tests.cloud.ops_support import bearer

PACKAGE = Path(__file__).resolve().parents[2] / "coalguard"


def test_api_hashes_phones_with_the_process_settings_not_a_fresh_read_of_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API once built its own CoSettings from the environment on first use."""
    settings = CloudSettings(
        db_url=f"sqlite:///{tmp_path / 'c.sqlite'}", co=CoSettings(phone_hash_key="checked-key")
    )
    monkeypatch.setenv("COALGUARD_CO_PHONE_HASH_KEY", "some-other-key")
    app = create_app(settings, schema="create")
    admin = bearer(issue_token(app.state.sessions, "root", "", "admin", now=SystemClock().now()))
    reg = {
        "device_id": "COA-9",
        "installer_id": "i1",
        "household": {
            "name": "孙家",
            "address": "1组",
            "village_code": "130102001001",
            "phone": "13500001234",
        },
    }
    assert TestClient(app).post("/api/v1/co/devices", json=reg, headers=admin).status_code == 201
    with app.state.sessions() as s:
        stored = s.get(CoDevice, "COA-9").phone_hash
    assert stored == hash_phone("13500001234", key="checked-key")


def test_co_section_reads_its_own_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COALGUARD_CO_BROKER_URL", "mqtt://broker:1883")
    assert CloudSettings().co.broker_url == "mqtt://broker:1883"


def test_every_setting_is_read_somewhere() -> None:
    """A setting nobody reads (``mqtt_url`` was one) misleads whoever sets it."""
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if p.name != "settings.py"
    )
    unread = [
        f"{model.__name__}.{name}"
        for model in (CloudSettings, CoSettings)
        for name in model.model_fields
        if not re.search(rf"\.{name}\b|\b{name}=", source)
    ]
    assert unread == []
