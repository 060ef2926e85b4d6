"""SMS/voice send latency through the providers' SDKs, against a bare HTTPS POST.

Each channel (Tencent SMS, Tencent VMS, Aliyun SMS) sends ``--n`` messages to
the local provider recorder (real TLS, signatures verified); the baseline is a
bare POST of the same body to the same server through one ``requests.Session``
(connections kept, as the SDKs' own sessions keep them). Prints p50/p99 per
channel and the ratio of the p50s (SDK / bare): what the SDK, signing and
template filling add.
Usage: python bench/provider_send.py [--n 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import requests

from coalguard.cloud.co.channels import Outbound
from coalguard.cloud.co.providers import provider_channels
from coalguard.cloud.co.providers.settings import ProviderSettings
from coalguard.edge.clock import SystemClock
from coalguard.simulators.sms_recorder import ProviderRecorder
from coalguard.simulators.tls import make_local_tls

TENCENT = ("AKIDbench", "bench-tencent-key")
ALIYUN = ("LTAIbench", "bench-aliyun-secret")
BODY = {
    "kind": "co_alarm",
    "region_code": "130102001001",
    "household": {"name": "张三", "address": "东村12号"},
    "detail": {"co_ppm": 300},
    "ack_url": "https://cg.example/a/Xy7",
}


def _timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    n = ap.parse_args().n
    ca, cert, key = make_local_tls(Path(tempfile.mkdtemp()), SystemClock().now())
    with ProviderRecorder(cert, key, tencent=TENCENT, aliyun=ALIYUN) as rec:
        settings = ProviderSettings(
            ca_file=ca,
            tencent_secret_id=TENCENT[0],
            tencent_secret_key=TENCENT[1],
            tencent_sms_endpoint=rec.endpoint,
            tencent_vms_endpoint=rec.endpoint,
            tencent_sms_app_id="1400000001",
            tencent_sms_sign_name="煤安守护",
            tencent_vms_app_id="1400000002",
            aliyun_access_key_id=ALIYUN[0],
            aliyun_access_key_secret=ALIYUN[1],
            aliyun_endpoint=rec.endpoint,
            aliyun_sign_name="煤安守护",
        )
        url = f"https://{rec.endpoint}/"
        session = requests.Session()
        bare = _timed(lambda: session.post(url, json=BODY, verify=str(ca), timeout=10), n)
        p = lambda ms, q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
        print(f"bare HTTPS POST: p50 {p(bare, 0.5):.1f} ms  p99 {p(bare, 0.99):.1f} ms (n={n})")
        for name, ch in provider_channels(settings).items():
            ms = _timed(lambda ch=ch: ch.send(Outbound(BODY, "13812345678")), n)
            ratio = p(ms, 0.5) / p(bare, 0.5)
            print(
                f"{name:10s}: p50 {p(ms, 0.5):.1f} ms  p99 {p(ms, 0.99):.1f} ms  "
                f"p50 ratio SDK/bare {ratio:.2f}"
            )
        assert len(rec.requests) == 3 * n and not [r for r in rec.refused if "unsigned" not in r]


if __name__ == "__main__":
    main()
