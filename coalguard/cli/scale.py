"""``coalguard scale station``: the sales point's weighing station on its scale's serial port.

Reads the indicator continuously; the clerk types commands (one answer line
each): ``plate 甘N12345``, ``tare`` / ``gross`` (record the stable weight now),
``post`` (send the ticket to the cloud with the clerk's token), ``status``,
``quit``.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import httpx
import typer

from coalguard.cli.options import Lang, lang_or_default
from coalguard.drivers.weighbridge import ScaleReader, load_rule, resolve_format
from coalguard.errors import CoalguardError
from coalguard.i18n import t
from coalguard.station import NotStable, StationRefused, WeighStation

app = typer.Typer(help="A sales point's weighbridge.", no_args_is_help=True)


def _say(text: str) -> None:
    print(text, flush=True)


def _kg(kg: Decimal) -> str:
    return f"{kg.normalize():f}"


def _status(station: WeighStation, lang: str) -> str:
    st = station.state()
    kg = st.last.kg if st.last is not None and st.link == "ok" else None
    return t("weighbridge.station_weight", lang).format(
        link=t(f"weighbridge.station_link_{st.link}", lang),
        kg="—" if kg is None else _kg(kg),
        stable=t(
            f"weighbridge.station_{'stable' if st.stable_kg is not None else 'unstable'}", lang
        ),
    )


def _answer(station: WeighStation, cmd: str, arg: str, lang: str) -> str:
    if cmd == "status":
        return _status(station, lang)
    if cmd == "plate" and arg:
        station.draft.plate = arg
        return arg
    if cmd in ("tare", "gross"):
        which = t(f"weighbridge.{cmd}", lang)
        try:
            kg = station.record(cmd)  # type: ignore[arg-type]
        except NotStable:
            return t("weighbridge.station_not_stable", lang).format(which=which)
        return t("weighbridge.station_recorded", lang).format(which=which, kg=_kg(kg))
    if cmd == "post":
        missing = station.draft.missing()
        if missing:
            words = ", ".join(t(f"weighbridge.{m}", lang) for m in missing)
            return t("weighbridge.station_need", lang).format(missing=words)
        try:
            ticket = station.post()
        except StationRefused as exc:
            return t("weighbridge.station_refused", lang).format(
                status=exc.status, detail=exc.detail
            )
        except httpx.HTTPError as exc:
            return t("weighbridge.station_unreachable", lang).format(error=exc)
        return (
            t("weighbridge.station_posted", lang).format(
                serial=ticket["serial"], net=f"{ticket['net_kg']:g}"
            )
            + f" #{ticket['id']} {ticket['print_url']}"
        )
    return f"? {cmd}"


@app.command("station")
def station(
    port: Annotated[str, typer.Option(help="Serial port (pyserial URL) of the indicator.")],
    point: Annotated[str, typer.Option(help="The sales point's code.")],
    cloud: Annotated[str, typer.Option(help="The cloud's base URL.")],
    token: Annotated[
        str | None, typer.Option(help="The clerk's API token.", envvar="COALGUARD_CLERK_TOKEN")
    ] = None,
    token_file: Annotated[Path | None, typer.Option(help="File holding the clerk's token.")] = None,
    format: Annotated[str, typer.Option("--format", help="Frame format id or file.")] = "st-gs",
    scale_id: Annotated[str, typer.Option(help="This scale's id on tickets.")] = "scale-1",
    unit: Annotated[str | None, typer.Option(help="Display unit when frames carry none.")] = None,
    baudrate: Annotated[int | None, typer.Option(help="Default: the format's.")] = None,
    stability: Annotated[Path | None, typer.Option(help="Software stability rule file.")] = None,
    lang: Lang = None,
) -> None:
    """Read the scale and post weighbridge tickets as the clerk records them."""
    words = lang_or_default(lang)
    if token_file is not None:
        token = token_file.read_text(encoding="utf-8").strip()
    if not token:
        raise CoalguardError("give the clerk's --token, --token-file or COALGUARD_CLERK_TOKEN")
    fmt = resolve_format(format)
    reader = ScaleReader(
        port, fmt, scale_id=scale_id, unit=unit, rule=load_rule(stability), baudrate=baudrate
    )
    st = WeighStation(reader, cloud_url=cloud, token=token, point_code=point, lang=words).start()
    _say(t("weighbridge.station_ready", words).format(scale=scale_id, format=fmt.id, port=port))
    try:
        for line in sys.stdin:
            cmd, _, arg = line.strip().partition(" ")
            if not cmd:
                continue
            if cmd == "quit":
                break
            _say(_answer(st, cmd, arg.strip(), words))
    finally:
        st.stop()
