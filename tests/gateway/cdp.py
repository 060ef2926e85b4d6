"""A minimal Chrome DevTools Protocol client for the page test (no downloaded browsers).

Starts Debian's /usr/bin/chromium headless with a remote-debugging port and
talks to one page target over its WebSocket.
"""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.conftest import free_port
from tests.support.processes import stop_process
from tests.support.waiting import wait_for

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
]


class Browser:
    def __init__(self, binary: str, profile_dir: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                binary,
                *FLAGS,
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={profile_dir}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{self.port}"
        pages = wait_for(
            lambda: [
                t for t in httpx.get(f"{base}/json/list", timeout=2).json() if t["type"] == "page"
            ],
            timeout=30,
            what="chromium debugging endpoint",
            retry_errors=True,
        )
        self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=50 * 2**20)
        self._ids = itertools.count(1)
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        mid = next(self._ids)
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expr: str) -> Any:
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_ready()

    def wait_ready(self) -> None:
        wait_for(
            lambda: self.eval("document.readyState") == "complete",
            what="page load",
            retry_errors=True,
        )

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            stop_process(self.proc)
