"""Issue 16 done-when: a truck bound for a 禁煤区 village is held at the checkpoint.

A real ``coalguard cloud serve`` publishes the zone list, a real ``coalguard
gateway run`` pulls it, the operator registers the truck on the page, and the
cloud raises its checkpoint alert from the typed record the gateway sends.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import COALGUARD
from tests.gateway.client import GatewayClient
from tests.gateway.conftest import registration
from tests.support.gateway import GATEWAY_ID, GatewayProcess, linked_cloud
from tests.support.servers import CLOUD_ENV, CloudProcess, staff_token
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(180)

ZONES_CSV = (
    "name,kind,region_code,allowed_fuels\n"
    "东风村,禁煤区,130102001001,\n"
    "西风村,禁燃区,130102001002,\n"
)


OUTSIDE = "130104001001"


def publish_zones(cloud: CloudProcess, token: str) -> None:
    r = httpx.post(
        f"{cloud.url}/api/v1/zones",
        params={"version": "长安区-2026-1", "region": "130102", "published_on": "2026-10-01"},
        content=ZONES_CSV.encode(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 201, r.text


@pytest.fixture
def checkpoint(tmp_path: Path) -> Iterator[tuple[CloudProcess, GatewayProcess, GatewayClient, str]]:
    cloud, gateway = linked_cloud(tmp_path)
    subprocess.run(
        [COALGUARD, "cloud", "checkpoint", "set", GATEWAY_ID, "--region", "130100",
         "--gateway", GATEWAY_ID, "--db", cloud.db_url],
        check=True, capture_output=True, timeout=60, env=CLOUD_ENV,
    )  # fmt: skip
    cloud.start()
    token = staff_token(cloud.db_url)
    publish_zones(cloud, token)
    gateway.start()  # pulls the zone list at once
    client = GatewayClient(gateway.base)
    try:
        client.sign_in(gateway.db_path)
        yield cloud, gateway, client, token
    finally:
        client.close()
        gateway.stop()
        cloud.stop()


def page(client: GatewayClient, iid: str) -> str:
    return client.http.get("/", params={"id": iid}).text


def test_truck_bound_for_a_no_coal_village_is_held_for_seizure(checkpoint) -> None:
    cloud, _, client, token = checkpoint
    wait_for(lambda: "（2 个村/区域）" in client.http.get("/").text, 60, what="zone list pulled")

    held = client.arrive("冀A12345")
    client.step(held, "register", {**registration(), "destination_village": "东风村"})
    text = page(client, held)
    assert "应予查扣" in text and "东风村" in text and "2026-10-01" in text
    assert 'id="form-hold_for_seizure"' in text and 'id="form-check_fast_pass"' not in text
    client.step(held, "hold_for_seizure", {"reason": ""})
    assert 'data-state="held_for_seizure"' in page(client, held)

    # a truck to a village outside every zone (its code typed): the usual way
    free = client.arrive("冀A54321")
    client.step(free, "register", {**registration("冀A54321"), "destination_village": OUTSIDE})
    text = page(client, free)
    assert "不在任何禁煤区内" in text and 'id="form-check_fast_pass"' in text
    client.step(free, "check_fast_pass", {"reason": ""})
    assert 'data-state="awaiting_sample"' in page(client, free)

    def seizure_alerts() -> list[dict]:
        r = httpx.get(
            f"{cloud.url}/api/v1/alerts",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        return [a for a in r.json() if a["kind"] == "checkpoint.seizure"]

    wait_for(lambda: len(seizure_alerts()) == 1, 60, what="seizure alert in the cloud",
             retry_errors=True)  # fmt: skip
    alert = seizure_alerts()[0]
    assert alert["subject"] == held and alert["checkpoint_id"] == GATEWAY_ID
    assert alert["detail"]["village_name"] == "东风村"
    assert alert["detail"]["published_on"] == "2026-10-01"
