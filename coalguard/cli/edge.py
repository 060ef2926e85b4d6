"""``coalguard edge pump|outbox``: records into an outbox, outbox to the cloud.

``pump`` stands in for the checkpoint gateway until it exists: producer
threads put generated records (verdicts, inspections, ledger entries, camera
events as ``critical``; readings as ``telemetry``) and print ``put <id>
<kind>`` for each one only after ``put`` returned, while the uplink sends
the outbox to the cloud. The crash test kills it with SIGKILL and restarts it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from coalguard.errors import InputError

app = typer.Typer(help="Edge tools: outbox and uplink.", no_args_is_help=True)

CRITICAL_KINDS = ("verdict", "inspection", "ledger_entry", "camera_event")


def _token(token_file: Path | None) -> str:
    env = os.environ.get("COALGUARD_UPLINK_TOKEN")
    if token_file is not None:
        try:
            return token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(f"cannot read token file {token_file}: {exc.strerror}") from None
    if env:
        return env.strip()
    raise InputError("no uplink token: give --token-file or set COALGUARD_UPLINK_TOKEN")


@app.command("pump")
def pump(
    outbox: Annotated[Path, typer.Option(help="Outbox file (SQLite); created when missing.")],
    cloud: Annotated[
        str | None, typer.Option(help="Cloud base URL; without it nothing is sent.")
    ] = None,
    gateway_id: Annotated[str, typer.Option(help="This gateway's id at the cloud.")] = "gw-pump",
    token_file: Annotated[
        Path | None, typer.Option(help="File holding the bearer token (or COALGUARD_UPLINK_TOKEN).")
    ] = None,
    ca_file: Annotated[Path | None, typer.Option(help="CA bundle to verify the cloud.")] = None,
    allow_insecure_http: Annotated[
        bool, typer.Option(help="Allow plain http:// to a non-loopback host (dev only).")
    ] = False,
    count: Annotated[
        int, typer.Option(help="Records per producer; -1: until stopped; 0: only send.")
    ] = -1,
    producers: Annotated[int, typer.Option(help="Producer threads.")] = 1,
    rate: Annotated[
        float, typer.Option(help="Records/s per producer; 0: as fast as possible.")
    ] = 0,
    telemetry_share: Annotated[
        float, typer.Option(help="Share of records that are telemetry readings.")
    ] = 0.25,
    body_bytes: Annotated[int, typer.Option(help="Padding in each record body.")] = 64,
    batch: Annotated[int, typer.Option(help="Records per uplink batch.")] = 500,
    backoff_cap: Annotated[float, typer.Option(help="Backoff cap in seconds.")] = 30.0,
    drain: Annotated[
        bool, typer.Option(help="After producing, wait until the outbox is empty, then exit.")
    ] = False,
    seed: Annotated[int | None, typer.Option(help="Random seed for kinds.")] = None,
    quiet: Annotated[bool, typer.Option(help="Do not print a line per record.")] = False,
) -> None:
    """Generate records into an outbox and run the uplink."""
    from coalguard.edge.outbox import Outbox
    from coalguard.edge.uplink import Uplink, make_config

    if not 0 <= telemetry_share <= 1:
        raise InputError("--telemetry-share must be between 0 and 1")
    if producers < 1:
        raise InputError("--producers must be at least 1")
    ob = Outbox(outbox)
    uplink = None
    if cloud:
        config = make_config(
            cloud_url=cloud,
            gateway_id=gateway_id,
            token=_token(token_file),
            ca_file=str(ca_file) if ca_file else None,
            allow_insecure_http=allow_insecure_http,
            max_records=batch,
            backoff_base_s=min(0.05, backoff_cap),
            backoff_cap_s=backoff_cap,
            idle_wait_s=0.2,
        )
        uplink = Uplink(ob, config)
        uplink.start()
    out_lock = threading.Lock()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    errors: list[BaseException] = []

    def produce(p: int) -> None:
        rng = random.Random(None if seed is None else seed * 1000 + p)
        n = 0
        pad = "x" * body_bytes
        try:
            while not stop.is_set() and (count < 0 or n < count):
                telemetry = rng.random() < telemetry_share
                kind = "reading" if telemetry else rng.choice(CRITICAL_KINDS)
                body = {"producer": p, "n": n, "pid": os.getpid(), "pad": pad}
                rec = ob.put(kind, body, priority="telemetry" if telemetry else "critical")
                if not quiet:
                    with out_lock:
                        sys.stdout.write(f"put {rec.id} {kind}\n")
                        sys.stdout.flush()
                n += 1
                if rate > 0:
                    stop.wait(1.0 / rate)
        except BaseException as exc:
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=produce, args=(p,), daemon=True) for p in range(producers)]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)
    if errors:
        raise errors[0]
    if uplink is not None:
        if drain:
            while not stop.is_set() and ob.stats().pending > 0:
                stop.wait(0.05)
        else:
            stop.wait()
    report: dict[str, object] = {"outbox": ob.stats().as_dict()}
    if uplink is not None:
        uplink.close()
        report["uplink"] = uplink.state().as_dict()
    typer.echo(json.dumps(report), err=True)
    ob.close()
    sys.stdout.write("drained\n" if drain else "stopped\n")
    sys.stdout.flush()


@app.command("outbox-stats")
def outbox_stats(
    outbox: Annotated[Path, typer.Argument(help="Outbox file.")],
) -> None:
    """Print an outbox's counts, bounds and health as JSON."""
    from coalguard.edge.outbox import Outbox

    if not outbox.exists():
        raise InputError(f"no outbox at {outbox}")
    with Outbox(outbox) as ob:
        typer.echo(json.dumps(ob.stats().as_dict(), ensure_ascii=False, indent=2))
