"""A Modbus device made of pymodbus's own server, in the test's event loop.

No coalguard simulator: pymodbus frames the answers (MBAP for ``tcp://``,
RTU over a TCP socket that the driver opens as the pyserial URL
``socket://…``), its ``SimDevice`` holds the registers and its hooks inject
faults: ``action`` answers the next requests with exception codes, the
server's ``trace_packet`` rewrites the next outgoing frames (silence, a bad
CRC, a short frame, garbage). The test sets ``registers`` and the fault
queues directly, so each test says byte for byte what the driver sees.
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

SIZE = 64  # registers; holding and input registers share them
Rewrite = Callable[[bytes], bytes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Device:
    """Unit ``unit`` behind pymodbus's server; ``url`` is what the driver opens."""

    def __init__(self, framing: str, unit: int = 1, port: int | None = None) -> None:
        self.framing = framing  # "tcp" | "rtu"
        self.unit = unit
        self.port = port or free_port()
        self.registers = [0] * SIZE
        self.exceptions: deque[int] = deque()  # answer the next requests with these codes
        self.rewrites: deque[Rewrite] = deque()  # rewrite the next outgoing frames
        self.requests = 0
        self.server: ModbusTcpServer | None = None

    @property
    def url(self) -> str:
        scheme = "tcp" if self.framing == "tcp" else "socket"
        return f"{scheme}://127.0.0.1:{self.port}"

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        self.requests += 1
        if self.exceptions:
            return ExcCodes(self.exceptions.popleft())
        if set_values is None:
            current_registers[:] = self.registers[: len(current_registers)]
        else:
            self.registers[address : address + len(set_values)] = [int(v) for v in set_values]
        return None

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if sending and self.rewrites:
            return self.rewrites.popleft()(data)
        return data

    async def start(self) -> None:
        device = SimDevice(
            id=self.unit,
            simdata=[SimData(0, count=SIZE, values=0, datatype=DataType.REGISTERS)],
            action=self._action,  # type: ignore[arg-type]
        )
        self.server = ModbusTcpServer(
            device,
            framer=FramerType.SOCKET if self.framing == "tcp" else FramerType.RTU,
            address=("127.0.0.1", self.port),
            trace_packet=self._trace,
        )
        await self.server.serve_forever(background=True)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.shutdown()
            self.server = None


@asynccontextmanager
async def running(framing: str, **kw: int) -> AsyncIterator[Device]:
    device = Device(framing, **kw)
    await device.start()
    try:
        yield device
    finally:
        await device.stop()
