"""SMS and voice providers used in China, through their official SDKs.

``tencent.py``: Tencent Cloud SMS (``SendSms``, API 2021-01-11) and voice
notification (VMS ``SendTtsVoice``); ``aliyun.py``: Aliyun SMS (``SendSms``) as
a second SMS provider. Each is a notification channel (``co/channels.py``)
built from ``ProviderSettings``; ``templates.py`` turns a notification body into
the registered template's parameters. Tests and the demo point the SDKs at
the local provider recorder (``coalguard/simulators/sms_recorder.py``).
"""

from __future__ import annotations

from coalguard.cloud.co.channels import Channel
from coalguard.cloud.co.providers.settings import ProviderSettings


def provider_channels(settings: ProviderSettings) -> dict[str, Channel]:
    """The SMS and voice channels whose credentials are configured, by channel name."""
    from coalguard.cloud.co.providers.aliyun import AliyunSmsChannel
    from coalguard.cloud.co.providers.templates import load_templates
    from coalguard.cloud.co.providers.tencent import TencentSmsChannel, TencentVoiceChannel

    templates = load_templates(settings.templates_file)
    out: dict[str, Channel] = {}
    if settings.tencent_secret_id and settings.tencent_sms_app_id:
        out["sms"] = TencentSmsChannel(settings, templates)
    if settings.tencent_secret_id and settings.tencent_vms_app_id:
        out["voice"] = TencentVoiceChannel(settings, templates)
    if settings.aliyun_access_key_id:
        out["sms_aliyun"] = AliyunSmsChannel(settings, templates)
    return out
