"""``coalguard sim analyzer``: a simulated rapid analyzer over RTU, TCP or ASCII.

Prints where to connect (the pty slave path, or host:port), then produces a
sample result every ``--period`` seconds. Commands on standard input switch
faults at run time: ``faults crc,slow=0.5``, ``faults none``, ``new``,
``status BIT,…``, ``sample ID`` (the operator scans a sample id for the next
result, on models that take one), ``stats``, ``quit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.options import Lang, lang_or_default
from coalguard.drivers.analyzer import resolve_map
from coalguard.errors import InputError
from coalguard.i18n import t
from coalguard.simulators.analyzer.ascii import AsciiSim
from coalguard.simulators.analyzer.device import SimAnalyzer, Ticker
from coalguard.simulators.analyzer.faults import HELP, Faults
from coalguard.simulators.analyzer.rtu import RtuSlave
from coalguard.simulators.analyzer.tcp import TcpSimServer


def _say(text: str) -> None:
    print(text, flush=True)


async def _serve(
    sim: SimAnalyzer,
    mode: str,
    tcp: str | None,
    link: Path | None,
    period: float,
    seed: int | None,
    lang: str,
) -> None:
    server: RtuSlave | TcpSimServer | AsciiSim
    if mode == "rtu":
        server = RtuSlave(sim, link=link, seed=seed)
        await server.start()
        _say(f"{t('analyzer.sim_rtu', lang)} {link or server.path}")
    elif mode == "ascii":
        server = AsciiSim(sim, link=link, seed=seed)
        await server.start()
        _say(f"{t('analyzer.sim_ascii', lang)} {link or server.path}")
    else:
        assert tcp is not None
        host, _, port_s = tcp.rpartition(":")
        try:
            port = int(port_s)
        except ValueError:
            raise InputError(f"--tcp {tcp!r}: use HOST:PORT") from None
        server = TcpSimServer(sim, host or "127.0.0.1", port, seed=seed)
        try:
            await server.start()
        except (OSError, RuntimeError) as exc:
            raise InputError(f"--tcp {tcp}: cannot listen ({exc})") from None
        _say(f"{t('analyzer.sim_tcp', lang)} tcp://{host or '127.0.0.1'}:{port}")
    _say(t("analyzer.sim_help", lang))
    if sim.faults.active():
        _say(f"{t('analyzer.sim_faults', lang)}: {', '.join(sim.faults.active())}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    def publish() -> None:
        r = server.publish() if isinstance(server, AsciiSim) else sim.new_result()
        _say(
            f"{t('analyzer.sim_new', lang)}: {r.sample_id or r.sequence} ({r.coal}) "
            + " ".join(f"{k}={v:.2f}" for k, v in r.indicators.items())
        )

    def on_command(line: str) -> None:
        cmd, _, arg = line.strip().partition(" ")
        try:
            if cmd == "new":
                publish()
            elif cmd == "faults":
                sim.faults.apply(Faults.parse(arg))
                _say(f"{t('analyzer.sim_faults', lang)}: {', '.join(sim.faults.active()) or '-'}")
            elif cmd == "status":
                bits = [b for b in arg.replace(",", " ").split() if b != "none"]
                for u in sim.units:
                    sim.set_status(u, bits)
                if isinstance(server, AsciiSim):
                    server.status = bits
            elif cmd == "sample":
                sim.enter_sample_id(arg.strip())
                _say(f"{t('gw_sample.sim_entered', lang)}: {arg.strip()}")
            elif cmd == "stats":
                _say(f"requests={sim.requests} bad_frames={getattr(server, 'bad_frames', 0)}")
            elif cmd in ("quit", "exit"):
                stop.set()
            elif cmd:
                _say(t("analyzer.sim_help", lang))
        except ValueError as exc:
            _say(f"error: {exc}")

    pending = bytearray()

    def on_stdin() -> None:
        # raw reads: a buffered readline() would strand lines that came together
        try:
            data = os.read(sys.stdin.fileno(), 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(sys.stdin.fileno())  # EOF: keep serving
            return
        pending.extend(data)
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            on_command(line.decode("utf-8", "replace"))

    with contextlib.suppress(OSError, ValueError, PermissionError):
        loop.add_reader(sys.stdin.fileno(), on_stdin)
    ticker = Ticker(sim, period)
    publish()
    ticker.due()
    try:
        while not stop.is_set():
            if ticker.due():
                publish()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
    finally:
        with contextlib.suppress(OSError, ValueError):
            loop.remove_reader(sys.stdin.fileno())
        await server.stop()


def analyzer(
    map_: Annotated[
        str, typer.Option("--map", "-m", help="Register map TOML file, or a shipped map's name.")
    ],
    rtu: Annotated[bool, typer.Option("--rtu", help="Modbus RTU on a pseudo-terminal.")] = False,
    tcp: Annotated[
        str | None, typer.Option("--tcp", help="Modbus TCP on HOST:PORT.", metavar="HOST:PORT")
    ] = None,
    ascii_: Annotated[
        bool, typer.Option("--ascii", help="ASCII lines on a pseudo-terminal.")
    ] = False,
    faults: Annotated[str, typer.Option("--faults", help=f"Start with faults: {HELP}")] = "",
    units: Annotated[
        str, typer.Option("--units", help="Unit ids on the line, e.g. 1,2 (default: the map's).")
    ] = "",
    period: Annotated[
        float, typer.Option(help="Seconds between sample results (0: only 'new').")
    ] = 10.0,
    coal: Annotated[str | None, typer.Option(help="Only this coal type (see coals.toml).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed for reproducible samples.")] = None,
    link: Annotated[
        Path | None, typer.Option(help="Also make this symlink to the pty (stable name).")
    ] = None,
    lang: Lang = "",
) -> None:
    """Simulate a rapid analyzer serving a register map."""
    lang = lang_or_default(lang)
    modes = [m for m, on in (("rtu", rtu), ("tcp", tcp is not None), ("ascii", ascii_)) if on]
    if len(modes) != 1:
        raise InputError("choose exactly one of --rtu, --tcp HOST:PORT, --ascii")
    regmap = resolve_map(map_)
    try:
        unit_ids = [int(u) for u in units.replace("+", ",").split(",") if u.strip()] or None
        fault_set = Faults.parse(faults)
        sim = SimAnalyzer(regmap, unit_ids, seed=seed, coal=coal, faults=fault_set)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    asyncio.run(_serve(sim, modes[0], tcp, link, period, seed, lang))
