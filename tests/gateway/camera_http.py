"""The gateway's app on a real HTTP server, with a camera that pushes to it and a signed-in page.

For tests that need the camera push and the page as a camera and a person use
them: uvicorn on 127.0.0.1 and a free port, around the in-process ``gw``
fixture (its ``ManualClock`` still rules time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from coalguard.gateway.service import Gateway
from coalguard.gateway.web import create_app
from tests.gateway.conftest import CAMERA_AUTH
from tests.gateway.session import add_user, sign_in
from tests.support.servers import ThreadServer


@dataclass
class LiveGateway:
    camera: httpx.Client
    page: httpx.Client

    def push(self, event: dict[str, Any]) -> dict[str, Any]:
        """POST one camera event; the gateway's answer (201 accepted, 200 duplicate)."""
        r = self.camera.post("/api/v1/camera-events", json=event)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def read_page(self, path: str = "/") -> str:
        """The page as the operator sees it now (signed in afresh: the test clock moves)."""
        sign_in(self.page, "wangwu")
        r = self.page.get(path)
        assert r.status_code == 200, r.text
        return r.text


@pytest.fixture(name="live")
def live_gateway(gw: Gateway) -> Iterator[LiveGateway]:
    add_user(gw.store, "wangwu", "operator", "王五")
    with (
        ThreadServer(create_app(gw, lang="zh")) as server,
        httpx.Client(base_url=server.url, headers=CAMERA_AUTH, timeout=10) as camera,
        httpx.Client(base_url=server.url, timeout=10, follow_redirects=True) as page,
    ):
        yield LiveGateway(camera, page)
