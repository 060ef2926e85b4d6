"""Bus plumbing that needs no device: endpoints, wire timing, one bus per line."""

from __future__ import annotations

import asyncio
import os
import tty

import pytest

from coalguard.drivers.analyzer import BusPool, Endpoint
from coalguard.drivers.analyzer.bus import char_time, frame_gap, is_pty
from coalguard.drivers.analyzer.stats import DeviceStats
from coalguard.errors import InputError


@pytest.mark.parametrize(
    ("text", "kind", "address", "port"),
    [
        ("tcp://10.0.0.5:502", "tcp", "10.0.0.5", 502),
        ("tcp://gw.local", "tcp", "gw.local", 502),
        ("/dev/ttyUSB0", "rtu", "/dev/ttyUSB0", 0),
    ],
)
def test_endpoint_parse(text: str, kind: str, address: str, port: int) -> None:
    ep = Endpoint.parse(text)
    assert (ep.kind, ep.address, ep.port) == (kind, address, port)


@pytest.mark.parametrize("bad", ["tcp://host:notaport", "tcp://:502", ""])
def test_endpoint_bad(bad: str) -> None:
    with pytest.raises(InputError):
        Endpoint.parse(bad)


def test_rtu_timing() -> None:
    c = char_time(9600, 8, "E", 1)
    assert c == pytest.approx(11 / 9600)
    assert frame_gap(9600, c) == pytest.approx(3.5 * 11 / 9600)  # ~4.0 ms
    assert frame_gap(38400, char_time(38400)) == 0.00175  # fixed above 19200
    assert char_time(9600, 8, "N", 2) == char_time(9600, 8, "E", 1)


def test_pool_shares_a_bus_per_line_and_refuses_other_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    link = tmp_path / "ttyA"
    link.symlink_to(path)

    async def main() -> None:
        pool = BusPool()
        a = pool.get(path, baudrate=9600, parity="E")
        assert pool.get(str(link), baudrate=9600, parity="E") is a  # same line by another name
        with pytest.raises(InputError, match="other line settings"):
            pool.get(path, baudrate=19200, parity="E")
        assert pool.get("tcp://127.0.0.1:1502") is not a
        assert len(pool.buses()) == 2
        pool.close()

    try:
        assert is_pty(str(link))
        asyncio.run(main())
    finally:
        os.close(master)
        os.close(slave)


def test_stats_percentiles() -> None:
    s = DeviceStats("x")
    for ms in range(1, 101):
        s.request()
        s.response(ms / 1000)
    s.error("timeout")
    snap = s.snapshot()
    lat = snap["latency_ms"]
    assert isinstance(lat, dict)
    assert lat["p50"] == pytest.approx(50.5) and lat["p99"] == pytest.approx(99.01)
    assert snap["errors"] == {"timeout": 1} and snap["last_good"] is not None
