"""Modbus TCP analyzer simulator: pymodbus' TCP server with our request handling.

pymodbus frames MBAP and manages connections; each decoded request goes to
the SimAnalyzer instead of pymodbus' datastore. That wrap fixes pymodbus
3.16's answer for an absent unit id (exception 04, where a device behind a
serial gateway stays silent) and lets faults act per request: silence,
delay, exception codes, garbage bytes, a dropped connection.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from pymodbus.pdu import ExceptionResponse
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersResponse,
    ReadInputRegistersResponse,
    WriteSingleRegisterResponse,
)
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler
from pymodbus.simulator import DataType, SimData, SimDevice

from coalguard.simulators.analyzer.device import SimAnalyzer


class _Handler(ServerRequestHandler):
    sim: SimAnalyzer
    rng: random.Random

    async def handle_request(self) -> None:
        pdu = self.last_pdu
        if not pdu:
            return
        addr = self.last_addr
        unit, fc = pdu.dev_id, pdu.function_code
        sim, f = self.sim, self.sim.faults
        hit = unit in sim.units and f.hits(unit)
        if hit and f.drop:
            if self.transport:
                self.transport.close()
            return
        if hit and f.no_response:
            return
        if hit and f.slow:
            await asyncio.sleep(f.slow)
        if hit and f.garbage:
            if self.transport:
                self.transport.write(bytes(self.rng.randrange(256) for _ in range(12)))
            return
        response: Any
        if fc in (3, 4):
            res = sim.read(unit, fc, pdu.address, pdu.count)
            if res is None:
                return  # absent unit: silence
            if hit and f.exception:
                res = f.exception
            if isinstance(res, int):
                response = ExceptionResponse(fc, res)
            else:
                cls = ReadHoldingRegistersResponse if fc == 3 else ReadInputRegistersResponse
                response = cls(registers=res)
        elif fc == 6:
            rc = sim.write(unit, pdu.address, pdu.registers[0])
            if rc is None:
                return
            if hit and f.exception:
                rc = f.exception
            response = (
                ExceptionResponse(fc, rc)
                if rc
                else WriteSingleRegisterResponse(address=pdu.address, registers=[pdu.registers[0]])
            )
        else:
            if unit not in sim.units:
                return
            response = ExceptionResponse(fc, 1)
        response.transaction_id = pdu.transaction_id
        response.dev_id = unit
        self.server_send(response, addr)


class _Server(ModbusTcpServer):
    sim: SimAnalyzer
    rng: random.Random

    def callback_new_connection(self) -> _Handler:
        h = _Handler(self, self.trace_packet, self.trace_pdu, self.trace_connect)
        h.sim = self.sim
        h.rng = self.rng
        return h


def _placeholder_context() -> Any:
    """pymodbus needs a context; every request is answered by _Handler instead."""
    try:
        return SimDevice(id=1, simdata=[SimData(0, values=[0], datatype=DataType.REGISTERS)])
    except (TypeError, AttributeError):  # pragma: no cover - older 3.x without SimData rules
        from pymodbus.datastore import ModbusDeviceContext, ModbusServerContext

        return ModbusServerContext(devices={1: ModbusDeviceContext()}, single=False)


class TcpSimServer:
    """Serves a SimAnalyzer on host:port."""

    def __init__(
        self, sim: SimAnalyzer, host: str = "127.0.0.1", port: int = 5020, seed: int | None = None
    ):
        self.sim = sim
        self.host = host
        self.port = port
        self._seed = seed
        self._server: _Server | None = None

    async def start(self) -> None:
        server = _Server(_placeholder_context(), address=(self.host, self.port))
        server.sim = self.sim
        server.rng = random.Random(self._seed)
        await server.serve_forever(background=True)
        self._server = server

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None
