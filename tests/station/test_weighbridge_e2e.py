"""Simulated scale → `coalguard scale station` → cloud → printed 过磅单 in Chromium.

Real processes on a real pseudo-terminal: the indicator simulator (`coalguard sim
weighbridge`) and the station (`coalguard scale station`), talking to the cloud app
served over HTTP; the ticket page printed by headless Chromium to an A5 PDF.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from coalguard.cloud.auth import issue_token
from tests.cloud.market.market_support import NOW, TOWN, point
from tests.cloud.ops_support import make_app
from tests.conftest import COALGUARD, require_binary
from tests.gateway.cdp import Browser
from tests.support.processes import stop_process
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

ENV = {**os.environ, "COALGUARD_LANG": "en"}
FAST = "format = 1\ntolerance_kg = 20\nwindow_s = 1.0\nmin_readings = 5\n"


class Typed:
    """A process driven line by line on its standard input, one answer line per command."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [COALGUARD, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
        self.first = self.line()

    def line(self) -> str:
        assert self.proc.stdout is not None
        out = self.proc.stdout.readline()
        assert out, f"{self.proc.args[1:3]} ended"
        return out.strip()

    def say(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.line()

    def stop(self) -> None:
        stop_process(self.proc)


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[tuple[str, object, str]]:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")  # the wall clock: the scale's times
    with app.state.sessions.begin() as s:
        point(s, "LX-001", name="临夏市东关煤炭销售点")
    token = issue_token(app.state.sessions, "clerk-lx", TOWN, "clerk", now=NOW)
    with ThreadServer(app) as server:
        yield server.url, app, token


@pytest.mark.timeout(240)
@pytest.mark.parametrize("fmt", ["xk3190-eq", "st-gs"])
def test_station_posts_a_ticket_from_stable_weights_and_it_prints(
    cloud, tmp_path: Path, fmt: str
) -> None:  # type: ignore[no-untyped-def]
    url, app, token = cloud
    rule = tmp_path / "stability.toml"
    rule.write_text(FAST)
    unit = ["--unit", "t"] if fmt == "xk3190-eq" else []  # the '=' frame carries no unit
    sim = Typed("sim", "weighbridge", "--format", fmt, "--hz", "25", "--ramp", "0.5",
                "--settle", "0.5", *unit)  # fmt: skip
    station = None
    try:
        port = sim.first.removeprefix("port ")
        station = Typed("scale", "station", "--port", port, "--format", fmt, *unit,
                        "--point", "LX-001", "--cloud", url, "--token", token,
                        "--stability", str(rule), "--scale-id", "lx-scale-1")  # fmt: skip
        assert "lx-scale-1" in station.first

        def stable_at(kg: str) -> str:
            return wait_for(
                lambda: (s := station.say("status")).startswith("ok") and f" {kg} kg (stable)" in s,
                15,
                f"{kg} kg stable",
            )

        assert station.say("post").startswith("before posting: Plate, Tare, Gross")
        assert sim.say("on 12020") == "ok on"
        stable_at("12020")
        assert station.say("tare") == "Tare recorded: 12020 kg"
        assert sim.say("off") == "ok off"
        stable_at("0")
        # the loaded truck on a swinging platform: never stable, no gross taken
        sim.say("faults unstable")
        sim.say("on 32040")
        wait_for(
            lambda: re.search(r"ok: 3\d{4} kg \(not stable\)", station.say("status")), 15, "moving"
        )
        for _ in range(20):
            assert "(not stable)" in station.say("status")
        assert station.say("gross") == "the reading is not stable: Gross not recorded"
        sim.say("faults none")
        stable_at("32040")
        assert station.say("gross") == "Gross recorded: 32040 kg"
        assert station.say("plate 甘N·12345") == "甘N·12345"
        posted = station.say("post")
        m = re.fullmatch(
            r"ticket (LX-001-\d{8}-0001): net 20020 kg #(\d+) (/market/tickets/\d+/print)", posted
        )
        assert m, posted
        serial, ticket_id, print_path = m.groups()
        # a disconnected scale is said so, and gives no weight
        sim.say("faults close")
        wait_for(lambda: station.say("status").startswith("scale disconnected"), 15, "disconnect")
        assert "not stable" in station.say("tare")
    finally:
        if station is not None:
            station.stop()
        sim.stop()

    # The cloud kept it with the stable weights, the scale and the format.
    t = app.state.sessions().get(
        __import__("coalguard.cloud.market.tickets", fromlist=["x"]).WeighTicket, int(ticket_id)
    )  # type: ignore[attr-defined]
    assert (t.gross_kg, t.tare_kg, t.net_kg, t.scale_id, t.scale_format) == (
        32040,
        12020,
        20020,
        "lx-scale-1",
        fmt,
    )
    assert t.plate == "甘N12345" and t.tare_at < t.gross_at

    # The clerk prints it: Chinese by default, the net on it, an A5 page.
    binary = require_binary("chromium")
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        b.goto(url + "/login")
        b.eval(
            f"document.querySelector('#token').value = {token!r};"
            "document.querySelector('#login button').click();"
        )
        wait_for(lambda: b.eval("location.pathname") == "/", 20, "signed in", retry_errors=True)
        b.goto(url + print_path)
        text = b.eval("document.body.innerText")
        assert b.eval("document.documentElement.lang") == "zh-CN"
        for words in (
            "过磅单",
            serial,
            "甘N12345",
            "毛重",
            "皮重",
            "净重",
            "临夏市东关煤炭销售点",
            "lx-scale-1",
        ):
            assert words in text, words
        assert b.eval("document.querySelector('#net-kg').innerText") == "20020"
        assert b.eval("document.querySelector('#net-t').innerText") == "20.020"
        rows = b.eval(
            "[...document.querySelectorAll('#weights tr[data-row]')].map(r => r.dataset.row)"
        )
        assert rows == ["tare", "gross", "net"]
        pdf = base64.b64decode(b.call("Page.printToPDF", preferCSSPageSize=True)["data"])
    finally:
        b.close()
    out = Path(os.environ.get("COALGUARD_SCREENSHOT_DIR", tmp_path)) / "weighbridge-ticket.pdf"
    out.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts \(A5\)", info)
    assert size and float(size[1]) > float(size[2]), info  # A5 landscape
    assert re.search(r"Pages:\s+1\n", info), info
    words = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "20020" in words and "过磅单" in words.replace(" ", "")
