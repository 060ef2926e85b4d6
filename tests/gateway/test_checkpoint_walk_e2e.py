"""A truck walked through the checkpoint in Chromium, from the entry camera to a printed notice.

Everything real: ``coalguard gateway run`` as a process, a simulated analyzer
speaking Modbus TCP (the gateway polls it), a camera event pushed over HTTP
with the camera token, headless Chromium signed in through the login form
and clicking the page's own forms, and the turn-back notice printed to PDF by
the gateway's Chromium, fetched by the signed-in browser, read back with
``pdftotext`` and its QR code decoded off the page. On the way, a result the
analyzer measured before the truck was sampled must not bind to it.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from coalguard.drivers.analyzer import resolve_map
from coalguard.edge.clock import SystemClock, local_text
from coalguard.i18n import t
from coalguard.simulators.analyzer.device import SimAnalyzer
from coalguard.simulators.analyzer.tcp import TcpSimServer
from tests.conftest import free_port, require_binary
from tests.gateway.cdp import Browser
from tests.gateway.conftest import FAILING_ALL
from tests.gateway.paper_pdf import pdf_qr_codes, pdf_text
from tests.gateway.session import add_user, browser_sign_in
from tests.gateway.test_analyzers import LoopThread, Planned
from tests.support.gateway import CAMERA_TOKEN, GatewayProcess
from tests.support.waiting import wait_for

PLATE = "冀A88888"
OPERATOR = "王五 (wangwu)"


@pytest.fixture
def analyzer():
    """A Modbus TCP analyzer simulator measuring ``FAILING_ALL`` when told to."""
    lt = LoopThread()
    sim = SimAnalyzer(resolve_map("generic-tcp-int16"), seed=11)
    sim.source = Planned(sim, FAILING_ALL)
    port = free_port()
    server = TcpSimServer(sim, "127.0.0.1", port)
    lt.run(server.start())
    yield sim, port
    lt.run(server.stop())
    lt.close()


@pytest.fixture
def gateway(tmp_path: Path, analyzer):
    _, port = analyzer
    extra = (
        '\n[[analyzer]]\nid = "xrf-1"\nmodel = "generic-tcp-int16"\ntransport = "tcp"\n'
        f'host = "127.0.0.1"\ntcp_port = {port}\npoll_interval_s = 0.2\n'
        '\n[papers]\nchromium = "chromium"\npdf_timeout_s = 60\n'
    )
    gw = GatewayProcess(tmp_path, extra_config=extra)
    gw.start()
    add_user(gw.db_path, "wangwu", "operator", "王五")
    yield gw
    gw.stop()


def db_rows(gw: GatewayProcess, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
    """Read the running gateway's database (WAL: a reader never blocks the writer)."""
    con = sqlite3.connect(f"file:{gw.db_path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def new_result(sim: SimAnalyzer, gw: GatewayProcess) -> str:
    """The analyzer finishes a sample; returns the id the gateway stored it under."""
    before = {r["id"] for r in db_rows(gw, "SELECT id FROM analyzer_results")}
    sim.new_result()
    return wait_for(
        lambda: next(
            (
                r["id"]
                for r in db_rows(gw, "SELECT id FROM analyzer_results")
                if r["id"] not in before
            ),
            None,
        ),
        20,
        what="the gateway to poll the new analyzer result",
        retry_errors=True,
    )


def submit(b: Browser, form: str, values: dict[str, str] | None = None) -> None:
    """Fill ``#form-<form>`` and press its button, as one script (no refresh in between)."""
    b.eval(
        "(() => {"
        f"const f = document.querySelector('#form-{form}');"
        f"for (const [k, v] of Object.entries({json.dumps(values or {})}))"
        " { f.elements[k].value = v; }"
        "f.querySelector('button').click(); })()"
    )


def wait_state(b: Browser, state: str) -> None:
    """Wait for the page to show the truck in ``state``; a refusal on the page fails at once."""

    def shown() -> str | None:
        if b.eval("document.readyState") != "complete":
            return None
        error = b.eval("(document.querySelector('#error')||{}).textContent")
        if error:
            return f"error: {error}"
        now = b.eval("(document.querySelector('#truck')||{dataset:{}}).dataset.state")
        return "ok" if now == state else None

    seen = wait_for(shown, 30, what=f"the page to show the truck {state}", retry_errors=True)
    assert seen == "ok", f"the page refused the step instead of showing {state}: {seen}"


def fetch_bytes(b: Browser, url: str) -> dict[str, Any]:
    """GET ``url`` from the page with the browser's own session; the body as base64."""
    expr = (
        f"fetch({json.dumps(url)}).then(async r => {{"
        "const a = new Uint8Array(await r.arrayBuffer()); let s = '';"
        "for (let i = 0; i < a.length; i += 8192)"
        " s += String.fromCharCode.apply(null, a.subarray(i, i + 8192));"
        "return {status: r.status, type: r.headers.get('content-type'), b64: btoa(s)}; })"
    )
    r = b.call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
    assert "exceptionDetails" not in r, r
    return r["result"]["value"]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_truck_walks_from_camera_arrival_to_a_printed_turn_back_notice(
    gateway: GatewayProcess, analyzer, tmp_path: Path
) -> None:
    binary = require_binary("chromium")
    require_binary("pdftotext")
    sim, _ = analyzer
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        # sign in through the login form
        b.goto(gateway.base + "/")
        assert b.eval("location.pathname") == "/login"
        browser_sign_in(b, "wangwu")

        # the entry camera reads the plate: an arrival opens by itself
        event = {
            "v": 1,
            "camera_id": "cam-entry",
            "event_id": "cam-entry-e2e-1",
            "type": "plate",
            "ts": "2026-11-26T00:00:00Z",
            "plate": PLATE,
            "confidence": 0.97,
            "direction": "in",
        }
        r = httpx.post(
            f"{gateway.base}/api/v1/camera-events",
            json=event,
            headers={"Authorization": f"Bearer {CAMERA_TOKEN}"},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        iid = r.json()["inspection_id"]
        b.goto(f"{gateway.base}/?id={iid}")
        wait_state(b, "arrived")
        assert b.eval("document.querySelector('#plate').textContent") == PLATE

        # registration and the fast-pass check, with the page's own forms
        submit(
            b,
            "register",
            {
                "driver": "赵六",
                "origin": "山西阳泉",
                "destination": "保定",
                "coal_type": "anthracite",
                "weight_t": "31",
                "consignor": "阳泉煤业有限公司",
                "waybill_no": "WB-E2E-1",
            },
        )
        wait_state(b, "registered")
        submit(b, "check_fast_pass")
        wait_state(b, "awaiting_sample")

        # the analyzer finishes a sample BEFORE this truck is sampled (a second before at least:
        # the gateway compares measured and sampling times to the second)
        early = new_result(sim, gateway)
        measured = db_rows(
            gateway, "SELECT COALESCE(measured_at, at) FROM analyzer_results WHERE id = ?", (early,)
        )[0][0]
        wait_for(
            lambda: SystemClock().now() >= datetime.fromisoformat(measured) + timedelta(seconds=1),
            5,
            what="the next second",
        )

        # sampling: the gateway issues the sample id; the operator types the seal
        submit(b, "take_sample", {"seal_no": "FQ-E2E-1"})
        wait_state(b, "sampled")
        sample_id = db_rows(gateway, "SELECT sample_id FROM inspections WHERE id = ?", (iid,))[0][0]
        assert sample_id.startswith("cp-e2e-")

        # ... and the truck's own sample after it
        own = new_result(sim, gateway)
        assert own != early
        b.goto(f"{gateway.base}/?id={iid}")
        wait_state(b, "sampled")
        check_result_before_sampling_is_refused(b, gateway, iid, early, sample_id)

        # the operator binds the truck's own result (the page, reloaded, offers it)
        b.goto(f"{gateway.base}/?id={iid}")
        wait_state(b, "sampled")
        assert offered(b) == [own]
        b.eval(
            "[...document.querySelectorAll('#bind-list form')]"
            f".find(f => f.elements.result_id.value === {json.dumps(own)})"
            ".querySelector('button').click()"
        )
        wait_state(b, "judged")
        assert b.eval("document.querySelector('#overall').textContent") == t("status.fail", "zh")

        # turn back, then print the notice from the button the page offers
        submit(b, "turn_back", {"reason": "灰分、硫分超标"})
        wait_state(b, "turned_back")
        href = b.eval("document.querySelector('#print-notice').getAttribute('href')")
        assert href == f"/inspections/{iid}/papers/notice.pdf"
        assert b.eval("!!document.querySelector('#print-slip')") is False
        got = fetch_bytes(b, href)
        assert got["status"] == 200 and got["type"] == "application/pdf"
        pdf = base64.b64decode(got["b64"])
    finally:
        b.close()

    text = " ".join(pdf_text(pdf, tmp_path).split())
    row = db_rows(gateway, "SELECT verdict, seq FROM inspections WHERE id = ?", (iid,))[0]
    verdict = json.loads(row["verdict"])
    turn_back = db_rows(
        gateway,
        "SELECT at, operator FROM transitions WHERE inspection_id = ? AND action = 'turn_back'",
        (iid,),
    )[0]
    sample_id = db_rows(gateway, "SELECT sample_id FROM inspections WHERE id = ?", (iid,))[0][0]
    for expected in (
        t("gw_papers.notice", "zh"),
        PLATE,
        "赵六",
        "山西阳泉",
        "保定",
        "阳泉煤业有限公司",
        sample_id,
        "FQ-E2E-1",
        f"{verdict['profile_id']} v{verdict['profile_version']}",
        OPERATOR,
        local_text(turn_back["at"], "%Y-%m-%d %H:%M"),
        t("gw_papers.provisional", "zh"),
        t("status.fail", "zh"),
    ):
        assert expected in text, f"{expected!r} missing from the printed notice:\n{text}"
    assert turn_back["operator"] == OPERATOR
    for ind in verdict["indicators"]:
        if ind.get("value") is not None:
            assert f"{ind['indicator']} {ind['value']:.2f}" in text
    entry = db_rows(
        gateway,
        "SELECT seq, hash FROM ledger WHERE book = 'inspection' AND kind = 'turn_back' "
        "AND json_extract(body, '$.inspection_id') = ?",
        (iid,),
    )[0]
    assert pdf_qr_codes(pdf, tmp_path) == [
        f"CG1;inspection={iid};ledger=inspection#{entry['seq']};hash={entry['hash']}"
    ]
    printed = db_rows(
        gateway,
        "SELECT operator, body FROM ledger WHERE book = 'inspection' AND kind = 'paper_printed'",
    )
    assert [(p["operator"], json.loads(p["body"])["paper"]) for p in printed] == [
        (OPERATOR, "notice")
    ]


def offered(b: Browser) -> list[str]:
    """The results the page's bind list offers (one form per result)."""
    return b.eval("[...document.querySelectorAll('#bind-list [name=result_id]')].map(i => i.value)")


def check_result_before_sampling_is_refused(
    b: Browser, gateway: GatewayProcess, iid: str, early: str, sample_id: str
) -> None:
    """The page does not offer a result measured before sampling; posted anyway, it is
    refused with the reason in words, and nothing is bound."""
    assert early not in offered(b), "a result measured before sampling is offered for binding"
    b.eval(
        "(() => { const f = document.querySelector('#bind-list form');"
        f"f.elements.result_id.value = {json.dumps(early)};"
        "f.querySelector('button').click(); })()"
    )
    error = wait_for(
        lambda: (
            b.eval("document.readyState") == "complete"
            and b.eval("(document.querySelector('#error')||{}).textContent")
        ),
        30,
        what="the refusal on the page",
        retry_errors=True,
    )
    result = db_rows(
        gateway, "SELECT COALESCE(measured_at, at) FROM analyzer_results WHERE id = ?", (early,)
    )[0][0]
    taken = db_rows(
        gateway, "SELECT json_extract(sample, '$.taken_at') FROM inspections WHERE id = ?", (iid,)
    )[0][0]
    assert error.strip() == t("gw_binding.before_sampling", "zh").format(
        measured=local_text(result, "%m-%d %H:%M:%S"),
        sampled=local_text(taken, "%m-%d %H:%M:%S"),
        sample_id=sample_id,
    )
    assert b.eval("document.querySelector('#truck').dataset.state") == "sampled"
    bound = db_rows(gateway, "SELECT COUNT(*) FROM result_bindings WHERE result_id = ?", (early,))
    assert bound[0][0] == 0
