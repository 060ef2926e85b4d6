"""``coalguard analyzer read``: read a rapid analyzer, print one JSON line per result."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Annotated, Any

import typer

from coalguard.cli.options import Lang, ProfilesDir, lang_or_default, split_dirs
from coalguard.drivers.analyzer import (
    AnalyzerResult,
    AsciiAnalyzer,
    Endpoint,
    ModbusAnalyzer,
    ModbusBus,
    Poller,
    ReadError,
    resolve_map,
)
from coalguard.drivers.analyzer.regmap import RegisterMap
from coalguard.edge.quality import Profile, ProfileSet, judge
from coalguard.errors import CoalguardError, InputError
from coalguard.i18n import t

app = typer.Typer(help="Rapid coal analyzers (Modbus RTU/TCP, ASCII lines).", no_args_is_help=True)

MapOpt = Annotated[
    str | None,
    typer.Option("--map", "-m", help="Register map TOML file, or a shipped map's name."),
]


def _emit(result: AnalyzerResult, profile: Profile | None) -> None:
    doc: dict[str, Any] = result.to_json_line()
    if profile is not None:
        try:
            doc["verdict"] = judge(result, profile).model_dump(mode="json")
        except CoalguardError as exc:
            doc["verdict"] = {"error": str(exc)}
    typer.echo(json.dumps(doc, ensure_ascii=False))


def describe(kind: str, lang: str) -> str:
    """An error kind in the operator's language (``exception_06`` -> '… code 06')."""
    if kind.startswith("exception_"):
        return f"{t('analyzer_error.exception', lang)} {kind.removeprefix('exception_')}"
    return t(f"analyzer_error.{kind}", lang)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _say(key: str, lang: str) -> None:
    print(t(f"analyzer.{key}", lang), file=sys.stderr, flush=True)


async def _modbus(
    regmap: RegisterMap,
    port: str,
    units: list[int],
    watch: bool,
    timeout: float,
    retries: int,
    baudrate: int | None,
    interval: float | None,
    profile: Profile | None,
    lang: str,
    stats: bool,
) -> None:
    tr = regmap.transport
    endpoint = Endpoint.parse(port, tr.tcp_port)
    bus = ModbusBus(
        endpoint,
        baudrate=baudrate or tr.baudrate,
        bytesize=tr.bytesize,
        parity=tr.parity,
        stopbits=tr.stopbits,
        timeout=timeout or tr.timeout,
        retries=retries,
    )
    analyzers = [ModbusAnalyzer(bus, regmap, u) for u in units]
    try:
        if not watch:
            got = 0
            for a in analyzers:
                try:
                    r = await a.read_current()
                except ReadError as exc:
                    why = describe(exc.kind, lang)
                    raise CoalguardError(
                        f"{a.stats.device}: {t('analyzer.no_result', lang)}: {why}"
                    ) from None
                if r is not None:
                    got += 1
                    _emit(r, profile)
                elif a.dead_letters:
                    why = f"{describe('decode', lang)}: {a.dead_letters[-1]['reason']}"
                    raise CoalguardError(f"{a.stats.device}: {why}")
            if not got:
                raise CoalguardError(t("analyzer.no_result", lang))
            return
        _say("waiting", lang)
        poller = Poller(analyzers, interval=interval)
        poller.start()
        try:
            async for r in poller:
                _emit(r, profile)
        finally:
            await poller.stop()
    finally:
        if stats:
            for a in analyzers:
                print(json.dumps(a.stats.snapshot(), ensure_ascii=False), file=sys.stderr)
        bus.close()


def _ascii(
    regmap: RegisterMap | None,
    port: str,
    watch: bool,
    timeout: float,
    baudrate: int | None,
    profile: Profile | None,
    lang: str,
    stats: bool,
) -> None:
    drv = AsciiAnalyzer(
        port,
        baudrate=baudrate or (regmap.transport.baudrate if regmap else 9600),
        manufacturer=regmap.device.manufacturer if regmap else "unknown",
        model=regmap.device.model if regmap else "ascii",
    )
    try:
        if not watch:
            r = drv.read_one(timeout or 3.0)
            if r is None:
                why = describe(drv.stats.last_kind or "timeout", lang)
                raise CoalguardError(f"{port}: {t('analyzer.no_result', lang)}: {why}")
            _emit(r, profile)
            return
        _say("waiting", lang)
        drv.query()
        for r in drv.results():
            _emit(r, profile)
    finally:
        if stats:
            print(json.dumps(drv.stats.snapshot(), ensure_ascii=False), file=sys.stderr)
        drv.close()


@app.command("read")
def read(
    port: Annotated[
        str, typer.Option("--port", "-p", help="Serial device (/dev/ttyUSB0) or tcp://HOST:PORT.")
    ],
    map_: MapOpt = None,
    unit: Annotated[
        list[int] | None,
        typer.Option("--unit", "-u", help="Modbus unit id (repeat for several on one bus)."),
    ] = None,
    ascii_: Annotated[
        bool, typer.Option("--ascii", help="The port speaks the ASCII line protocol.")
    ] = False,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Keep reading new results.")] = False,
    judge_profile: Annotated[
        str | None, typer.Option("--judge", help="Judge each result against this profile id.")
    ] = None,
    profiles: ProfilesDir = None,
    baud: Annotated[
        int | None, typer.Option("--baud", help="Override the map's baud rate.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Per-request timeout, seconds (0: map's).")] = 0.0,
    retries: Annotated[int, typer.Option(help="Retries per request.")] = 2,
    interval: Annotated[
        float | None, typer.Option(help="Poll interval, seconds (default: the map's).")
    ] = None,
    stats: Annotated[
        bool, typer.Option("--stats", help="Print device statistics at the end.")
    ] = False,
    lang: Lang = "",
) -> None:
    """Read sample results; one JSON line each (indicators in percent and MJ/kg)."""
    lang = lang_or_default(lang)
    # stopping with kill/timeout ends like Ctrl-C: statistics still printed
    signal.signal(signal.SIGTERM, _interrupt)
    profile = ProfileSet.load(split_dirs(profiles)).get(judge_profile) if judge_profile else None
    if ascii_:
        regmap = resolve_map(map_) if map_ else None
        _ascii(regmap, port, watch, timeout, baud, profile, lang, stats)
        return
    if not map_:
        raise InputError("--map is required for Modbus (a TOML file or a shipped map name)")
    regmap = resolve_map(map_)
    units = unit or [regmap.transport.unit]
    for u in units:
        if not 1 <= u <= 247:
            raise InputError(f"--unit {u}: a Modbus unit id is 1..247")
    asyncio.run(
        _modbus(regmap, port, units, watch, timeout, retries, baud, interval, profile, lang, stats)
    )


@app.command("maps")
def maps() -> None:
    """List the shipped register maps."""
    from coalguard.drivers.analyzer import shipped_maps

    for name, path in shipped_maps().items():
        m = resolve_map(str(path))
        typer.echo(f"{name}\t{m.device.manufacturer} {m.device.model}\t{m.transport.kind}")
