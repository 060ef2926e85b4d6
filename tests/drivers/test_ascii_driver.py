"""The ASCII driver's serial side on a pseudo-terminal pair driven by the test.

No simulator: the test holds the pty's master end and writes exactly the
bytes an analyzer would. Parsing alone is ``test_ascii_protocol.py``; here
real pyserial reads a real tty: split lines, a garbage frame amid results,
the query on the wire, a port that is missing then appears, a port that
goes away under the driver.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from coalguard.drivers.analyzer import AsciiAnalyzer
from coalguard.drivers.analyzer.ascii_protocol import QUERY, frame
from coalguard.drivers.analyzer.result import AnalyzerResult
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(30)


def result_line(seq: int, aad: float = 12.3) -> bytes:
    return frame("CGR", {"SEQ": seq, "ID": f"S{seq:04d}", "Aad": f"{aad:.2f}", "Mad": "1.20"})


class Pty:
    """A pseudo-terminal pair: the driver opens ``path``, the test writes to ``master``."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        self.path = os.ttyname(self.slave)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def read_available(self) -> bytes:
        os.set_blocking(self.master, False)
        try:
            return os.read(self.master, 4096)
        except BlockingIOError:
            return b""

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def pty() -> Iterator[Pty]:
    p = Pty()
    yield p
    p.close()


def opened(drv: AsciiAnalyzer) -> AsciiAnalyzer:
    """Let the driver open its port (pyserial drops what arrived before the open)."""
    assert list(drv.results(time.monotonic() + 0.01)) == []
    assert drv.stats.errors == {}
    return drv


def collect(drv: AsciiAnalyzer, n: int, timeout: float = 5.0) -> list[AnalyzerResult]:
    """The next ``n`` results, failing after ``timeout`` seconds."""
    got: list[AnalyzerResult] = []
    for r in drv.results(time.monotonic() + timeout):
        got.append(r)
        if len(got) == n:
            return got
    raise AssertionError(f"{len(got)} of {n} results within {timeout} s")


def test_line_split_across_reads_is_one_result(pty: Pty) -> None:
    drv = opened(AsciiAnalyzer(pty.path))
    try:
        line = result_line(1)
        pty.write(line[:9])
        assert list(drv.results(time.monotonic() + 0.2)) == []  # half a line is no result
        pty.write(line[9:])
        (r,) = collect(drv, 1)
        assert r.sample_id == "S0001" and r.indicators["Aad"] == pytest.approx(12.3)
        assert drv.stats.errors == {}
    finally:
        drv.close()


def test_garbage_frame_amid_results_is_counted_not_fatal(pty: Pty) -> None:
    drv = opened(AsciiAnalyzer(pty.path))
    try:
        bad_sum = result_line(2)[:-4] + b"00\r\n"
        pty.write(result_line(1) + b"$\x01\x02garbage\r\n" + bad_sum + b"\xff\x00" + result_line(3))
        got = collect(drv, 2)
        assert [r.sequence for r in got] == [1, 3]
        assert drv.stats.errors["checksum"] == 1 and drv.stats.errors["malformed"] == 1
        assert [d["kind"] for d in drv.dead_letters] == ["malformed", "checksum"]
        assert drv.stats.results == 2
    finally:
        drv.close()


def test_repeated_result_is_reported_once(pty: Pty) -> None:
    drv = opened(AsciiAnalyzer(pty.path))
    try:
        pty.write(result_line(1) + result_line(1) + result_line(2))
        assert [r.sequence for r in collect(drv, 2)] == [1, 2]
        assert drv.stats.results == 2
    finally:
        drv.close()


def test_query_goes_out_on_the_wire_and_its_answer_is_read(pty: Pty) -> None:
    drv = opened(AsciiAnalyzer(pty.path))
    try:
        asked: list[bytes] = []

        def analyzer() -> None:
            asked.append(wait_for(pty.read_available, what="the query on the wire"))
            pty.write(result_line(5))

        answering = threading.Thread(target=analyzer)
        answering.start()
        r = drv.read_one(timeout=5, retries=0)
        answering.join(10)
        assert asked == [frame(QUERY)]
        assert r is not None and r.sequence == 5
        assert drv.stats.requests == 1 and drv.stats.responses == 1
    finally:
        drv.close()


def test_port_missing_then_present_is_opened_and_counted(pty: Pty, tmp_path: Path) -> None:
    link = tmp_path / "ttyANALYZER"
    drv = AsciiAnalyzer(str(link), backoff_max=0.05)
    try:
        assert list(drv.results(time.monotonic() + 0.1)) == []
        assert drv.stats.errors["connection"] >= 1
        link.symlink_to(pty.path)

        def pushed_and_read() -> list[AnalyzerResult]:
            pty.write(result_line(9))  # the analyzer pushes until someone listens
            return list(drv.results(time.monotonic() + 0.05))

        (r,) = wait_for(pushed_and_read, what="the port opened and read")
        assert r.sequence == 9 and drv.stats.reconnects == 1
    finally:
        drv.close()


def test_port_gone_under_the_driver_is_counted_not_raised(pty: Pty) -> None:
    drv = opened(AsciiAnalyzer(pty.path))
    try:
        pty.write(result_line(1))
        collect(drv, 1)
        os.close(pty.master)  # the adapter is unplugged: reads now fail
        wait_for(
            lambda: (
                list(drv.results(time.monotonic() + 0.05)) == []
                and drv.stats.errors.get("connection", 0) >= 1
            ),
            what="the lost port counted",
        )
    finally:
        drv.close()
