"""``coalguard sim provider-recorder``: the local SMS/voice provider recorder — not a carrier.

Serves the Tencent SMS/VMS and Aliyun SMS endpoints over HTTPS with a
throwaway CA, checks every request's signature against the keys given here,
prints each message as the phone would read it, and (``--receipts``) posts
the providers' delivery receipts to a cloud. It prints the settings that point
a cloud at it. Nothing reaches a phone.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.options import Lang
from coalguard.cli.render import console
from coalguard.cloud.co.providers.templates import load_templates
from coalguard.cloud.privacy import mask_phone
from coalguard.edge.clock import SystemClock, local_text
from coalguard.i18n import t
from coalguard.simulators.sms_recorder import ProviderRecorder, Recorded
from coalguard.simulators.tls import make_local_tls

# Demo keys: the recorder accepts requests signed with these (a real provider never would).
DEMO_TENCENT = ("AKIDcoalguarddemo", "coalguard-demo-tencent-key")
DEMO_ALIYUN = ("LTAIcoalguarddemo", "coalguard-demo-aliyun-secret")
PROVIDERS = ("tencent_sms", "tencent_vms", "aliyun_sms")


def settings_env(
    rec: ProviderRecorder, ca: Path, tencent: tuple[str, str], aliyun: tuple[str, str]
) -> dict[str, str]:
    """The ``COALGUARD_PROVIDER_*`` settings of a cloud that sends through ``rec``."""
    return {
        "COALGUARD_PROVIDER_CA_FILE": str(ca),
        "COALGUARD_PROVIDER_TENCENT_SECRET_ID": tencent[0],
        "COALGUARD_PROVIDER_TENCENT_SECRET_KEY": tencent[1],
        "COALGUARD_PROVIDER_TENCENT_SMS_ENDPOINT": rec.endpoint,
        "COALGUARD_PROVIDER_TENCENT_VMS_ENDPOINT": rec.endpoint,
        "COALGUARD_PROVIDER_TENCENT_SMS_APP_ID": "1400000001",
        "COALGUARD_PROVIDER_TENCENT_SMS_SIGN_NAME": "煤安守护",
        "COALGUARD_PROVIDER_TENCENT_VMS_APP_ID": "1400000002",
        "COALGUARD_PROVIDER_ALIYUN_ACCESS_KEY_ID": aliyun[0],
        "COALGUARD_PROVIDER_ALIYUN_ACCESS_KEY_SECRET": aliyun[1],
        "COALGUARD_PROVIDER_ALIYUN_ENDPOINT": rec.endpoint,
        "COALGUARD_PROVIDER_ALIYUN_SIGN_NAME": "煤安守护",
    }


def provider_recorder(
    port: Annotated[int, typer.Option(help="HTTPS port on 127.0.0.1 (0: any free one).")] = 8480,
    tls_dir: Annotated[
        Path, typer.Option(help="Where the throwaway CA and certificate are written.")
    ] = Path("var/provider-recorder"),
    receipts: Annotated[
        str | None,
        typer.Option(help="Cloud base URL to post delivery receipts to (default: none)."),
    ] = None,
    tencent_receipt_token: Annotated[
        str, typer.Option(envvar="COALGUARD_PROVIDER_TENCENT_RECEIPT_TOKEN")
    ] = "",
    aliyun_receipt_token: Annotated[
        str, typer.Option(envvar="COALGUARD_PROVIDER_ALIYUN_RECEIPT_TOKEN")
    ] = "",
    undelivered: Annotated[
        str, typer.Option(help=f"Providers whose receipts say undelivered: {', '.join(PROVIDERS)}.")
    ] = "",
    lang: Lang = "zh",
) -> None:
    """Run the local provider recorder (not a carrier) until Ctrl-C."""
    clock = SystemClock()
    ca, cert, key = make_local_tls(tls_dir, clock.now())
    rec = ProviderRecorder(
        cert, key, tencent=DEMO_TENCENT, aliyun=DEMO_ALIYUN, port=port, clock=clock
    )
    templates = load_templates()
    out = console()

    def show(r: Recorded) -> None:
        tpl = templates.by_id(r.template_id)
        text = tpl.fill(r.params) if tpl else str(r.params)
        who = mask_phone(r.phone.removeprefix("+86"))
        when = local_text(r.at, "%H:%M:%S")
        what = t(f"recorder.{r.provider}", lang)
        out.print(f"{when} [bold]{what}[/] → {who}: {text}", soft_wrap=True)

    rec.listeners.append(show)
    bad = {p.strip() for p in undelivered.split(",") if p.strip()}
    if receipts:
        base = receipts.rstrip("/") + "/api/v1/co/receipts"
        rec.receipt_verify = False  # the demo cloud is plain HTTP or self-signed
        for provider in PROVIDERS:
            vendor, token = (
                ("aliyun", aliyun_receipt_token)
                if provider == "aliyun_sms"
                else ("tencent", tencent_receipt_token)
            )
            rec.auto_receipts(provider, f"{base}/{vendor}/{token}", provider not in bad)
    with rec:
        out.print(f"[bold]{t('recorder.title', lang)}[/] https://{rec.endpoint}")
        out.print(t("recorder.settings", lang))
        for name, value in settings_env(rec, ca, DEMO_TENCENT, DEMO_ALIYUN).items():
            out.print(f"  {name}={value}", soft_wrap=True)
        try:
            threading.Event().wait()  # serve until interrupted
        except KeyboardInterrupt:
            out.print(t("recorder.stopped", lang))
