"""Gateway fixtures: a real SQLite store in tmp_path and a clock that moves when told."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from coalguard.edge.clock import ManualClock
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import StoreSink
from coalguard.gateway.store import Store
from tests.gateway.session import FAST_HASHER

START = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 08:30 in Asia/Shanghai

# Hebei: anthracite is judged by GB 34169-2017 无烟1号.
_BASE = {"Mt": 5.0, "Mad": 2.0, "Aad": 10.0, "Vad": 6.0, "St_ad": 0.3, "Qgr_ad": 30.0, "Had": 3.0}
PASSING = dict(_BASE)
FAILING = {**_BASE, "Aad": 30.0, "St_ad": 1.5}
RETEST = {**_BASE, "St_ad": 0.4}  # St,d 0.41 against ≤ 0.40: within repeatability
INCOMPLETE = {k: v for k, v in _BASE.items() if k != "Mt"}
# Every index a simulated analyzer reports, anthracite with far too much ash and sulfur
FAILING_ALL = {
    "Mt": 5.0,
    "Mad": 2.0,
    "Aad": 30.0,
    "Vad": 6.0,
    "St_ad": 1.5,
    "Qgr_ad": 30.0,
    "Had": 3.0,
    "Qnet_ar": 26.0,
    "Vdaf": 9.0,
    "St_d": 1.5,
    "Ad": 30.0,
}
CAMERA_TOKEN = "cam-token-for-tests"
CAMERA_AUTH = {"Authorization": f"Bearer {CAMERA_TOKEN}"}


def config_dict(data_dir: Path) -> dict:
    return {
        "checkpoint": {
            "id": "cp-test",
            "name": "测试检查站",
            "region_code": "130100",
            "jurisdiction": "hebei-2022",
        },
        "storage": {"data_dir": str(data_dir)},
        "http": {"camera_token": CAMERA_TOKEN},
        "camera": [
            {
                "id": "cam-entry",
                "name": "入口",
                "role": "entry",
                "creates_arrival": True,
                "expected_interval_s": 300,
            },
            {"id": "cam-sample", "name": "采样区", "role": "sampling"},
            {"id": "cam-exit", "name": "出口", "role": "exit"},
        ],
        "analyzer": [{"id": "an-1", "model": "sim-xrf", "transport": "tcp", "host": "127.0.0.1"}],
    }


def registration(
    plate: str = "冀A12345",
    coal_type: str = "anthracite",
    weight_t: float = 32.5,
    consignor: str = "大同恒信煤业有限公司",
) -> dict:
    return {
        "plate": plate,
        "driver": "张三",
        "origin": "山西大同",
        "destination": "石家庄",
        "coal_type": coal_type,
        "weight_t": weight_t,
        "consignor": consignor,
        "waybill_no": "WB-0001",
    }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def gw(tmp_path: Path, clock: ManualClock) -> Gateway:
    cfg = GatewayConfig.model_validate(config_dict(tmp_path / "data"))
    store = Store(cfg.db_path)
    g = Gateway.build(cfg, store, StoreSink(store, clock), clock)
    g.accounts.hasher = FAST_HASHER  # argon2 at full cost makes lockout tests slow
    yield g
    store.close()


def drive_to_judged(gw: Gateway, indicators: dict, plate: str = "冀A12345", sample: str = "S1"):
    """Arrival → registration → fast-pass check → sampling → result (auto-bound, judged)."""
    wf = gw.workflow
    iid = wf.arrive(plate, "王五")
    wf.register(iid, "王五", registration(plate))
    assert wf.check_fast_pass(iid, "王五") is False
    sample = wf.take_sample(iid, "王五", {"seal_no": f"F-{sample}"})
    wf.record_result("an-1", indicators, sample_id=sample)
    return iid
