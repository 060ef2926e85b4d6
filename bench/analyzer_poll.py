"""Analyzer polling throughput, as ratios against baselines measured in the same run.

1. Modbus TCP reads per second through our driver (ModbusBus: scheduler, retries,
   statistics) vs. a bare pymodbus client loop, same simulator, same request.
   Goal: >= 0.8 of the bare rate.
2. RTU transactions per second at 9600 baud through our driver vs. the wire limit
   computed from frame sizes (request + response characters at 11 bits, plus the
   t3.5 silence after each frame). Goal: >= 0.9.

The simulators run as separate processes (``coalguard sim analyzer``), as a user
would run them.   Usage: python bench/analyzer_poll.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pymodbus.client import AsyncModbusTcpClient

from coalguard.drivers.analyzer import ModbusBus, resolve_map
from coalguard.drivers.analyzer.bus import char_time, frame_gap
from coalguard.drivers.analyzer.plan import coalesce
from coalguard.drivers.analyzer.stats import DeviceStats

ROUNDS = 5
COALGUARD = str(Path(sys.executable).with_name("coalguard"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sim(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [COALGUARD, "sim", "analyzer", "--period", "0", "--lang", "en", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    where = proc.stdout.readline().split()[-1]
    return proc, where


async def bare_tcp(port: int, address: int, count: int, seconds: float) -> float:
    client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2)
    await client.connect()
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rr = await client.read_input_registers(address, count=count, device_id=1)
        assert not rr.isError()
        n += 1
    client.close()
    return n / seconds


async def driver_rate(bus: ModbusBus, table, address: int, count: int, seconds: float) -> float:
    stats = DeviceStats("bench")
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await bus.read(1, table, address, count, stats)
        n += 1
    bus.close()
    assert not stats.errors, stats.errors
    return n / seconds


async def main(seconds: float) -> None:
    # 1. TCP
    regmap = resolve_map("generic-tcp-int16")
    (req,) = coalesce(regmap)
    port = free_port()
    proc, _ = start_sim("--map", "generic-tcp-int16", "--tcp", f"127.0.0.1:{port}")
    try:
        await bare_tcp(port, req.address, req.count, 0.5)  # warm up
        # interleaved rounds, so load from other processes hits both alike
        bares, ourss = [], []
        for _ in range(ROUNDS):
            bares.append(await bare_tcp(port, req.address, req.count, seconds / ROUNDS))
            bus = ModbusBus(f"tcp://127.0.0.1:{port}", timeout=2)
            ourss.append(
                await driver_rate(bus, req.table, req.address, req.count, seconds / ROUNDS)
            )
        bare, ours = statistics.median(bares), statistics.median(ourss)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"Modbus TCP, {req.count} registers per read, {seconds:g} s each, median of {ROUNDS}")
    print(f"  bare pymodbus loop : {bare:8.1f} reads/s")
    print(f"  coalguard driver   : {ours:8.1f} reads/s")
    print(f"  ratio              : {ours / bare:8.2f}  (goal >= 0.80)")

    # 2. RTU at 9600 baud
    regmap = resolve_map("generic-rtu-float-cdab")
    t = regmap.transport
    req = next(r for r in coalesce(regmap) if r.table.value == "holding")
    proc, path = start_sim("--map", "generic-rtu-float-cdab", "--rtu")
    try:
        bus = ModbusBus(path, baudrate=t.baudrate, parity=t.parity, stopbits=t.stopbits, timeout=1)
        await driver_rate(bus, req.table, req.address, req.count, 0.3)  # warm up
        bus = ModbusBus(path, baudrate=t.baudrate, parity=t.parity, stopbits=t.stopbits, timeout=1)
        ours = await driver_rate(bus, req.table, req.address, req.count, seconds)
    finally:
        proc.terminate()
        proc.wait(10)
    c = char_time(t.baudrate, t.bytesize, t.parity, t.stopbits)
    gap = frame_gap(t.baudrate, c)
    request, response = 8, 5 + 2 * req.count
    per_tx = (request + response) * c + 2 * gap
    limit = 1 / per_tx
    print(f"Modbus RTU {t.baudrate} 8{t.parity}{t.stopbits}, {req.count} registers per read")
    print(
        f"  wire limit         : {limit:8.2f} tx/s  ({request}+{response} chars x {c * 1e3:.3f} ms"
        f" + 2 x t3.5 {gap * 1e3:.2f} ms = {per_tx * 1e3:.1f} ms)"
    )
    print(f"  coalguard driver   : {ours:8.2f} tx/s")
    print(f"  ratio              : {ours / limit:8.2f}  (goal >= 0.90)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    asyncio.run(main(ap.parse_args().seconds))
