"""Aliyun SMS (``SendSms``, 2017-05-25) as a second SMS provider, through its official SDK.

The SDK (``alibabacloud_dysmsapi20170525`` on ``alibabacloud_tea_openapi``)
signs each request with ACS3-HMAC-SHA256. The answer's ``Code`` (``OK`` when
accepted) becomes ``Sent`` with the ``BizId`` the delivery reports name, or a
``ChannelError`` with the provider's code and message.
"""

from __future__ import annotations

import json
import threading

from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.exceptions import DaraException, UnretryableException
from darabonba.runtime import RuntimeOptions

from coalguard.cloud.co.channels import ChannelError, Outbound, Sent
from coalguard.cloud.co.providers.phones import mainland
from coalguard.cloud.co.providers.settings import ProviderSettings
from coalguard.cloud.co.providers.templates import Templates

OK = "OK"


class AliyunSmsChannel:
    """SMS through Aliyun: the jurisdiction's template, named parameters from the body."""

    kind = "sms"

    def __init__(
        self, settings: ProviderSettings, templates: Templates, name: str = "sms_aliyun"
    ) -> None:
        if not (settings.aliyun_access_key_id and settings.aliyun_access_key_secret):
            raise ValueError("Aliyun SMS needs aliyun_access_key_id and aliyun_access_key_secret")
        self.name = name
        self.settings = settings
        self.templates = templates
        timeout_ms = int(settings.timeout_s * 1000)
        self.client = Client(
            Config(
                access_key_id=settings.aliyun_access_key_id,
                access_key_secret=settings.aliyun_access_key_secret,
                endpoint=settings.aliyun_endpoint,
                protocol="https",
                ca=str(settings.ca_file) if settings.ca_file else None,
                read_timeout=timeout_ms,
                connect_timeout=timeout_ms,
            )
        )
        self._lock = threading.Lock()

    def request(self, out: Outbound) -> models.SendSmsRequest:
        if not out.to:
            raise ChannelError("SMS needs a phone number")
        tpl = self.templates.pick("aliyun_sms", out.body.get("region_code"))
        return models.SendSmsRequest(
            phone_numbers=mainland(out.to),
            sign_name=self.settings.aliyun_sign_name,
            template_code=tpl.template_id,
            template_param=json.dumps(tpl.named(out.body), ensure_ascii=False),
            out_id=str(out.body.get("notification_id", "")),
        )

    def send(self, out: Outbound) -> Sent:
        req = self.request(out)
        try:
            with self._lock:
                resp = self.client.send_sms_with_options(req, RuntimeOptions())
        except DaraException as exc:
            raise ChannelError(f"Aliyun SMS: {exc.code}: {exc.message}") from None
        except UnretryableException as exc:  # no answer: connection refused, dropped, timed out
            inner = exc.inner_exception
            why = getattr(inner, "message", None) or inner
            raise ChannelError(f"Aliyun SMS: {type(inner).__name__}: {why}") from None
        body = resp.body
        if body is None or body.code != OK:
            code, msg = (body.code, body.message) if body else ("-", "empty answer")
            raise ChannelError(f"Aliyun SMS refused: {code}: {msg}")
        return Sent(body.biz_id)
