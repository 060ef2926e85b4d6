"""``coalguard commission register|test|status``: installers bind and prove an alarm.

Talks to the cloud API (``--cloud``, token from ``--token``/``COALGUARD_TOKEN``).
``test`` starts a commissioning test and shows a progress indicator until the
cloud has seen the alarm's test event and a fresh state, or the time runs out.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn

from coalguard.cli.options import Lang, lang_or_default
from coalguard.cli.render import console
from coalguard.edge.clock import local_text
from coalguard.errors import InputError, WordedError
from coalguard.i18n import t

app = typer.Typer(help="Installers: bind CO alarms to households and prove they report.")

Cloud = Annotated[
    str,
    typer.Option(envvar="COALGUARD_CLOUD_URL", help="Cloud API base URL."),
]
Token = Annotated[
    str,
    typer.Option(envvar="COALGUARD_TOKEN", help="Installer token (scoped to a region)."),
]


class CloudError(WordedError):
    """The cloud refused or could not be reached."""


def _call(method: str, cloud: str, token: str, path: str, lang: str, **kw: Any) -> Any:
    """One API call; the cloud answers refusals in ``lang`` (``Accept-Language``)."""
    try:
        r = httpx.request(
            method,
            cloud.rstrip("/") + path,
            headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
            timeout=15,
            **kw,
        )
    except httpx.HTTPError as exc:
        raise CloudError("cli_unreachable", cloud=cloud, detail=str(exc)) from None
    if r.status_code >= 400:
        try:
            detail = r.json().get("detail")  # a problem document, worded in ``lang``
        except ValueError:
            detail = r.text[:200]
        raise CloudError("cli_cloud_refused", status=r.status_code, detail=detail)
    return r.json()


@app.command("register")
def register_cmd(
    device_id: Annotated[str, typer.Argument(help="Alarm id (printed on the alarm).")],
    name: Annotated[str, typer.Option(help="Household name.")],
    address: Annotated[str, typer.Option(help="Address within the village.")],
    village: Annotated[str, typer.Option(help="12-digit village region code.")],
    phone: Annotated[str, typer.Option(help="Contact phone (stored hashed, shown masked).")],
    installer: Annotated[str, typer.Option(envvar="COALGUARD_INSTALLER", help="Installer id.")],
    cloud: Cloud = "http://127.0.0.1:8080",
    token: Token = "",
    lang: Lang = "",
) -> None:
    """Bind an alarm to a household."""
    lang = lang_or_default(lang)
    body = {
        "device_id": device_id,
        "household": {"name": name, "address": address, "village_code": village, "phone": phone},
        "installer_id": installer,
    }
    d = _call("POST", cloud, _need(token), "/api/v1/co/devices", lang, json=body)
    out = console()
    out.print(f"[green]✓[/] {t('co.registered', lang)}: {d['device_id']}")
    out.print(f"  {t('co.household', lang)}: {d['household']['name']}, {d['household']['address']}")
    phone = d["household"]["phone"]
    out.print(f"  {t('co.village', lang)}: {d['region_code']}  {t('co.phone', lang)}: {phone}")


@app.command("test")
def test_cmd(
    device_id: Annotated[str, typer.Argument(help="Alarm id.")],
    installer: Annotated[str, typer.Option(envvar="COALGUARD_INSTALLER", help="Installer id.")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the test.")] = 120,
    cloud: Cloud = "http://127.0.0.1:8080",
    token: Token = "",
    lang: Lang = "",
) -> None:
    """Start a commissioning test and wait for the test button and a fresh state."""
    lang = lang_or_default(lang)
    token = _need(token)
    c = _call(
        "POST",
        cloud,
        token,
        f"/api/v1/co/devices/{device_id}/commissioning",
        lang,
        json={"installer_id": installer, "timeout_s": timeout},
    )
    out = console()
    out.print(f"[bold]{t('co.test_started', lang)}[/] ({device_id})")
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeRemainingColumn(),
        console=out,
        transient=True,
    ) as progress:
        task = progress.add_task(t("co.waiting", lang), total=timeout)
        while c["status"] == "waiting":
            time.sleep(0.5)
            rows = _call("GET", cloud, token, f"/api/v1/co/devices/{device_id}/commissioning", lang)
            c = next((r for r in rows if r["id"] == c["id"]), c)
            got = [
                f"{t('co.' + w, lang)} ✓"
                for w, k in (("test_event", "test_event_at"), ("state", "state_at"))
                if c.get(k)
            ]
            progress.update(
                task,
                completed=timeout - c.get("remaining_s", 0),
                description=f"{t('co.waiting', lang)} {' '.join(got)}",
            )
    _print_result(c, lang)
    if c["status"] != "passed":
        raise typer.Exit(1)


def _when(at: str | None) -> str:
    """An API time (ISO, UTC) as the installer reads it: Asia/Shanghai wall time."""
    return local_text(at, "%Y-%m-%d %H:%M:%S")


def _print_result(c: dict[str, Any], lang: str) -> None:
    out = console()
    if c["status"] == "passed":
        out.print(f"[green]✓ {t('co.passed', lang)}[/] {c['device_id']}")
        out.print(f"  {t('co.test_event', lang)}: {_when(c['test_event_at'])}")
        out.print(f"  {t('co.state', lang)}: {_when(c['state_at'])}")
    elif c["status"] == "failed":
        missing = ", ".join(t(f"co.{m}", lang) for m in c["missing"])
        out.print(f"[red]✗ {t('co.failed', lang)}: {missing}[/] ({c['device_id']})")
    else:
        out.print(f"{c['device_id']}: {c['status']}")


@app.command("status")
def status_cmd(
    device_id: Annotated[str, typer.Argument(help="Alarm id.")],
    cloud: Cloud = "http://127.0.0.1:8080",
    token: Token = "",
    lang: Lang = "",
) -> None:
    """What the cloud knows about an alarm, and its commissioning record."""
    lang = lang_or_default(lang)
    token = _need(token)
    d = _call("GET", cloud, token, f"/api/v1/co/devices/{device_id}", lang)
    rows = _call("GET", cloud, token, f"/api/v1/co/devices/{device_id}/commissioning", lang)
    out = console()
    online = {True: t("co.online", lang), False: t("co.offline", lang)}.get(d["online"], "—")
    out.print(f"[bold]{t('co.device', lang)} {d['device_id']}[/]  {online}")
    if d["household"]:
        h = d["household"]
        out.print(f"  {t('co.household', lang)}: {h['name']}, {h['address']} ({h['phone']})")
    seen = _when(d["last_seen"]) if d["last_seen"] else t("co.never", lang)
    out.print(f"  {t('co.last_seen', lang)}: {seen}")
    out.print(
        f"  {t('co.battery', lang)}: {d['battery_pct'] if d['battery_pct'] is not None else '—'}"
    )
    if rows:
        _print_result(rows[0], lang)


def _need(token: str) -> str:
    if not token:
        raise InputError("no token: pass --token or set COALGUARD_TOKEN")
    return token
