"""Tencent Cloud SMS (``SendSms``, 2021-01-11) and voice notification (VMS ``SendTtsVoice``).

Both go through the official SDK (``tencentcloud-sdk-python-sms``/``-vms``),
which signs every request with TC3-HMAC-SHA256. The provider's answer per
number (``SendStatusSet[].Code``, ``Ok`` when accepted) becomes ``Sent`` with
its ``SerialNo``/``CallId`` (what the status callbacks name) or a
``ChannelError`` with the provider's code and message.
"""

from __future__ import annotations

import threading
from typing import Any

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111.sms_client import SmsClient
from tencentcloud.vms.v20200902 import models as vms_models
from tencentcloud.vms.v20200902.vms_client import VmsClient

from coalguard.cloud.co.channels import ChannelError, Outbound, Sent
from coalguard.cloud.co.providers.phones import e164
from coalguard.cloud.co.providers.settings import ProviderSettings
from coalguard.cloud.co.providers.templates import Templates
from coalguard.cloud.privacy import mask_phone

OK = "Ok"  # SendStatusSet[].Code of an accepted message


def _profile(settings: ProviderSettings, endpoint: str) -> ClientProfile:
    http = HttpProfile(
        endpoint=endpoint,
        reqTimeout=int(max(1, settings.timeout_s)),
        certification=str(settings.ca_file) if settings.ca_file else None,
    )
    return ClientProfile(httpProfile=http)


def _credential(settings: ProviderSettings) -> Credential:
    if not (settings.tencent_secret_id and settings.tencent_secret_key):
        raise ValueError("Tencent Cloud needs tencent_secret_id and tencent_secret_key")
    return Credential(settings.tencent_secret_id, settings.tencent_secret_key)


class _TencentChannel:
    """What SMS and VMS share: one SDK client (one request at a time), errors worded."""

    kind: str
    what: str  # "Tencent SMS" | "Tencent VMS", in errors

    def __init__(self, name: str, settings: ProviderSettings, templates: Templates, client: Any):
        self.name = name
        self.settings = settings
        self.templates = templates
        self.client = client
        self._lock = threading.Lock()

    def call(self, action: str, req: Any) -> Any:
        """The SDK's ``action`` with ``req``; the provider's error as a ChannelError."""
        try:
            with self._lock:
                return getattr(self.client, action)(req)
        except TencentCloudSDKException as exc:
            raise ChannelError(f"{self.what}: {exc.get_code()}: {exc.get_message()}") from None


class TencentSmsChannel(_TencentChannel):
    """SMS through Tencent Cloud SMS: the jurisdiction's template, the body's values."""

    kind = "sms"
    what = "Tencent SMS"

    def __init__(self, settings: ProviderSettings, templates: Templates, name: str = "sms") -> None:
        endpoint = _profile(settings, settings.tencent_sms_endpoint)
        client = SmsClient(_credential(settings), settings.tencent_region, endpoint)
        super().__init__(name, settings, templates, client)

    def request(self, out: Outbound) -> sms_models.SendSmsRequest:
        if not out.to:
            raise ChannelError("SMS needs a phone number")
        tpl = self.templates.pick("tencent_sms", out.body.get("region_code"))
        req = sms_models.SendSmsRequest()
        req.SmsSdkAppId = self.settings.tencent_sms_app_id
        req.SignName = self.settings.tencent_sms_sign_name
        req.TemplateId = tpl.template_id
        req.TemplateParamSet = tpl.values(out.body)
        req.PhoneNumberSet = [e164(out.to)]
        req.SessionContext = str(out.body.get("notification_id", ""))
        return req

    def send(self, out: Outbound) -> Sent:
        resp = self.call("SendSms", self.request(out))
        status = (resp.SendStatusSet or [None])[0]
        if status is None:
            raise ChannelError(f"Tencent SMS: no SendStatus in the answer ({resp.RequestId})")
        if status.Code != OK:
            who = mask_phone((status.PhoneNumber or "").removeprefix("+86"))
            raise ChannelError(f"Tencent SMS refused {who}: {status.Code}: {status.Message}")
        return Sent(status.SerialNo)


class TencentVoiceChannel(_TencentChannel):
    """A voice notification (text to speech of a registered template) through Tencent VMS."""

    kind = "voice"
    what = "Tencent VMS"

    def __init__(
        self, settings: ProviderSettings, templates: Templates, name: str = "voice"
    ) -> None:
        endpoint = _profile(settings, settings.tencent_vms_endpoint)
        client = VmsClient(_credential(settings), settings.tencent_region, endpoint)
        super().__init__(name, settings, templates, client)

    def request(self, out: Outbound) -> vms_models.SendTtsVoiceRequest:
        if not out.to:
            raise ChannelError("a voice call needs a phone number")
        tpl = self.templates.pick("tencent_voice", out.body.get("region_code"))
        req = vms_models.SendTtsVoiceRequest()
        req.TemplateId = tpl.template_id
        req.TemplateParamSet = tpl.values(out.body)
        req.CalledNumber = e164(out.to)
        req.VoiceSdkAppid = self.settings.tencent_vms_app_id
        req.PlayTimes = self.settings.tencent_vms_play_times
        req.SessionContext = str(out.body.get("notification_id", ""))
        return req

    def send(self, out: Outbound) -> Sent:
        resp = self.call("SendTtsVoice", self.request(out))
        call_id = resp.SendStatus.CallId if resp.SendStatus else None
        if not call_id:
            raise ChannelError(f"Tencent VMS: no CallId in the answer ({resp.RequestId})")
        return Sent(call_id)
