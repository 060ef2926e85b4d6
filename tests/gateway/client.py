"""The one HTTP client of the gateway's operator API used by process tests.

Signs in (``tests/gateway/session.py``), posts the forms the page posts
(answered 303 on success), pushes camera events, reads an inspection. Every
call the gateway did not answer raises ``httpx.TransportError`` (the outcome
is unknown); a refusal raises ``Refused``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.gateway.session import add_user, sign_in


class Refused(Exception):
    """The gateway answered, but not with success."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text[:300]}")
        self.status = status


class GatewayClient:
    def __init__(self, base: str, camera_token: str | None = None, timeout_s: float = 10.0) -> None:
        self.camera_token = camera_token
        self.http = httpx.Client(base_url=base, timeout=timeout_s, follow_redirects=False)

    def sign_in(self, db_path: Path, username: str = "wangwu") -> None:
        """Create operator ``username`` (王五) in the gateway database and sign in as them;
        the session lives in that database, so it outlasts a restart."""
        add_user(db_path, username)
        sign_in(self.http, username)

    def close(self) -> None:
        self.http.close()

    def _form(self, path: str, data: dict[str, Any]) -> httpx.Response:
        r = self.http.post(path, data={k: str(v) for k, v in data.items()})
        if r.status_code != 303:
            raise Refused(r.status_code, r.text)
        return r

    def arrive(self, plate: str) -> str:
        """A truck typed in at the gate; returns its inspection id."""
        r = self._form("/ui/arrive", {"plate": plate})
        return parse_qs(urlsplit(r.headers["location"]).query)["id"][0]

    def step(self, iid: str, action: str, data: dict[str, Any] | None = None) -> None:
        self._form(f"/ui/inspections/{iid}/{action}", data or {})

    def result(self, sample_id: str, indicators: dict[str, float]) -> None:
        """A rapid result typed in; bound to the sample and judged at once."""
        self._form("/ui/results", {"sample_id": sample_id, **indicators})

    def camera_event(self, event: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.camera_token}"} if self.camera_token else {}
        r = self.http.post("/api/v1/camera-events", json=event, headers=headers)
        if r.status_code not in (200, 201):
            raise Refused(r.status_code, r.text)
        return r.json()

    def inspection(self, iid: str) -> dict[str, Any]:
        r = self.http.get(f"/api/v1/inspections/{iid}")
        if r.status_code != 200:
            raise Refused(r.status_code, r.text)
        return r.json()
