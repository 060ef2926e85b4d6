"""Provider settings (env ``COALGUARD_PROVIDER_*``; the ``providers`` part of ``CoSettings``).

Endpoints default to the providers' public ones; tests and the demo set them
to the local recorder (``host:port``) and ``ca_file`` to its CA. Credentials
are per deployment and never have a usable default.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COALGUARD_PROVIDER_", extra="forbid")

    # TLS of every provider call is verified against this CA bundle (None: the SDK's own).
    ca_file: Path | None = None
    timeout_s: float = Field(10.0, gt=0)
    # Templates per jurisdiction and channel (None: the shipped providers/templates.toml).
    templates_file: Path | None = None

    # Tencent Cloud: one API key for SMS and VMS (TC3-HMAC-SHA256 signatures).
    tencent_secret_id: str | None = None
    tencent_secret_key: str | None = None
    tencent_region: str = "ap-guangzhou"
    tencent_sms_endpoint: str = "sms.tencentcloudapi.com"
    tencent_sms_app_id: str | None = None  # SmsSdkAppId
    tencent_sms_sign_name: str = ""  # the registered signature (签名), e.g. 煤安守护
    tencent_vms_endpoint: str = "vms.tencentcloudapi.com"
    tencent_vms_app_id: str | None = None  # VoiceSdkAppid
    tencent_vms_play_times: int = Field(2, ge=1, le=3)

    # Aliyun SMS (ACS3-HMAC-SHA256 signatures).
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: str | None = None
    aliyun_endpoint: str = "dysmsapi.aliyuncs.com"
    aliyun_sign_name: str = ""

    # Delivery receipts: the secret path token each provider's callback URL carries
    # (/api/v1/co/receipts/<provider>/<token>); None: that provider's receipts are refused.
    tencent_receipt_token: str | None = None
    aliyun_receipt_token: str | None = None
