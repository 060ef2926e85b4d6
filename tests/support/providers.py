"""The local provider recorder with a throwaway CA, and provider settings pointing at it.

Every SMS/voice test runs the real SDKs over HTTPS against
``coalguard/simulators/sms_recorder.py``; no provider is ever called.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from coalguard.cloud.co.providers.settings import ProviderSettings
from coalguard.edge.clock import Clock, SystemClock
from coalguard.simulators.sms_recorder import ProviderRecorder
from coalguard.simulators.tls import make_local_tls

TENCENT = ("AKIDcoalguardtest0001", "tencent-test-secret-key")
ALIYUN = ("LTAIcoalguardtest0001", "aliyun-test-secret")
RECEIPT_TOKENS = {"tencent": "tencent-receipt-token-1", "aliyun": "aliyun-receipt-token-1"}


def settings_for(rec: ProviderRecorder, ca: Path | None, **over: Any) -> ProviderSettings:
    """Every provider configured and pointed at ``rec`` (``over`` replaces any field)."""
    values: dict[str, Any] = {
        "ca_file": ca,
        "timeout_s": 5,
        "tencent_secret_id": TENCENT[0],
        "tencent_secret_key": TENCENT[1],
        "tencent_sms_endpoint": rec.endpoint,
        "tencent_vms_endpoint": rec.endpoint,
        "tencent_sms_app_id": "1400000001",
        "tencent_sms_sign_name": "煤安守护",
        "tencent_vms_app_id": "1400000002",
        "aliyun_access_key_id": ALIYUN[0],
        "aliyun_access_key_secret": ALIYUN[1],
        "aliyun_endpoint": rec.endpoint,
        "aliyun_sign_name": "煤安守护",
        "tencent_receipt_token": RECEIPT_TOKENS["tencent"],
        "aliyun_receipt_token": RECEIPT_TOKENS["aliyun"],
    }
    return ProviderSettings(**{**values, **over})


@contextmanager
def provider_recorder(
    dir_: Path, clock: Clock | None = None
) -> Iterator[tuple[ProviderRecorder, ProviderSettings]]:
    """A running recorder (test CA in ``dir_``) and settings whose SDKs trust and reach it."""
    ca, crt, key = make_local_tls(dir_, SystemClock().now())
    with ProviderRecorder(crt, key, tencent=TENCENT, aliyun=ALIYUN, clock=clock) as rec:
        yield rec, settings_for(rec, ca)
