"""SMS and voice through the providers' real SDKs, against the local provider recorder
over HTTPS: signed requests, templates, the provider's own error codes, outages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.channels import ChannelError, Outbound
from coalguard.cloud.co.directory import ContactDirectory
from coalguard.cloud.co.notifier import Notifier, RetryPolicy, contact_phone
from coalguard.cloud.co.providers import provider_channels
from coalguard.cloud.co.providers.settings import ProviderSettings
from coalguard.cloud.co.providers.templates import TemplateError, load_templates
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoNotification
from coalguard.cloud.sealing import Keyring
from coalguard.edge.clock import ManualClock, SystemClock
from coalguard.simulators.sms_recorder import ProviderRecorder
from tests.cloud.co.co_support import event, sessions_at
from tests.support.providers import provider_recorder, settings_for

PHONE = "13812345678"
BODY = {
    "kind": "co_alarm",
    "region_code": "130102001001",
    "household": {"name": "张三", "address": "东村12号", "phone_masked": "138****5678"},
    "detail": {"co_ppm": 312.4},
    "ack_url": "https://cg.example/a/Xy7",
    "reply_code": "4821",
    "notification_id": 41,
}


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[tuple[ProviderRecorder, ProviderSettings]]:
    with provider_recorder(tmp_path) as pair:
        yield pair


def test_tencent_sms_is_signed_and_carries_the_jurisdictions_template(recorder) -> None:  # type: ignore[no-untyped-def]
    rec, settings = recorder
    sent = provider_channels(settings)["sms"].send(Outbound(BODY, PHONE))
    (got,) = rec.sent("tencent_sms")
    assert got.phone == "+86" + PHONE and got.provider_id == sent.provider_id
    assert got.template_id == "2000102"  # 130102's own template, not the default
    assert got.params == [
        "一氧化碳报警", "张三", "东村12号", "312", "https://cg.example/a/Xy7", "4821"
    ]  # fmt: skip
    assert got.raw["SmsSdkAppId"] == "1400000001" and got.raw["SignName"] == "煤安守护"
    assert rec.refused == []


def test_tencent_voice_notification_reads_the_voice_template(recorder) -> None:  # type: ignore[no-untyped-def]
    rec, settings = recorder
    sent = provider_channels(settings)["voice"].send(
        Outbound({**BODY, "region_code": "1401"}, PHONE)
    )
    (got,) = rec.sent("tencent_vms")
    assert got.phone == "+86" + PHONE and got.provider_id == sent.provider_id
    assert got.template_id == "3000001" and got.params == [
        "一氧化碳报警",
        "张三",
        "东村12号",
        "312",
    ]
    assert got.raw["VoiceSdkAppid"] == "1400000002" and got.raw["PlayTimes"] == 2


def test_aliyun_sms_is_signed_and_names_its_parameters(recorder) -> None:  # type: ignore[no-untyped-def]
    rec, settings = recorder
    sent = provider_channels(settings)["sms_aliyun"].send(Outbound(BODY, "+86 138-1234-5678"))
    (got,) = rec.sent("aliyun_sms")
    assert got.phone == PHONE and got.provider_id == sent.provider_id
    assert got.template_id == "SMS_400000001"
    assert got.params == {
        "alarm_type": "一氧化碳报警",
        "household": "张三",
        "address": "东村12号",
        "co_ppm": "312",
        "ack_link": "https://cg.example/a/Xy7",
        "reply_code": "4821",
    }


@pytest.mark.parametrize(
    ("channel", "code"),
    [
        ("sms", "AuthFailure.SignatureFailure"),
        ("voice", "AuthFailure.SignatureFailure"),
        ("sms_aliyun", "SignatureDoesNotMatch"),
    ],
)
def test_a_request_signed_with_a_wrong_secret_is_refused(recorder, channel: str, code: str) -> None:  # type: ignore[no-untyped-def]
    rec, settings = recorder
    wrong = settings.model_copy(
        update={"tencent_secret_key": "not-the-key", "aliyun_access_key_secret": "not-the-key"}
    )
    with pytest.raises(ChannelError, match=code):
        provider_channels(wrong)[channel].send(Outbound(BODY, PHONE))
    assert rec.sent() == [] and len(rec.refused) == 1


def test_a_stale_tencent_timestamp_is_refused(tmp_path: Path) -> None:
    late = ManualClock(SystemClock().now() + timedelta(minutes=6))  # the recorder's "now"
    with provider_recorder(tmp_path, clock=late) as (rec, settings):
        with pytest.raises(ChannelError, match=r"AuthFailure\.SignatureExpire"):
            provider_channels(settings)["sms"].send(Outbound(BODY, PHONE))
        with pytest.raises(ChannelError, match=r"InvalidTimeStamp\.Expired"):
            late.advance(timedelta(minutes=10))
            provider_channels(settings)["sms_aliyun"].send(Outbound(BODY, PHONE))
        assert rec.sent() == []


def test_provider_error_codes_are_worded_in_the_channel_error(recorder) -> None:  # type: ignore[no-untyped-def]
    rec, settings = recorder
    chans = provider_channels(settings)
    rec.fail_with("tencent_sms", "LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发条数超限")
    rec.fail_with("tencent_vms", "FailedOperation.InsufficientBalanceInVoicePackage", "余额不足")
    rec.fail_with("aliyun_sms", "isv.BUSINESS_LIMIT_CONTROL", "业务限流")
    with pytest.raises(ChannelError) as sms:
        chans["sms"].send(Outbound(BODY, PHONE))
    assert "LimitExceeded.PhoneNumberDailyLimit: 单个手机号日下发条数超限" in str(sms.value)
    assert PHONE not in str(sms.value) and "138****5678" in str(sms.value)  # stored and logged
    with pytest.raises(ChannelError, match=r"FailedOperation\.InsufficientBalanceInVoicePackage"):
        chans["voice"].send(Outbound(BODY, PHONE))
    with pytest.raises(ChannelError, match=r"isv\.BUSINESS_LIMIT_CONTROL: 业务限流"):
        chans["sms_aliyun"].send(Outbound(BODY, PHONE))


def test_provider_outage_is_a_channel_error_on_every_channel(recorder) -> None:  # type: ignore[no-untyped-def]
    rec, settings = recorder
    rec.outage(True)
    for ch in provider_channels(settings).values():
        with pytest.raises(ChannelError, match=r"closed connection|RemoteDisconnected"):
            ch.send(Outbound(BODY, PHONE))


def test_a_provider_certificate_not_from_the_configured_ca_is_refused(recorder) -> None:  # type: ignore[no-untyped-def]
    rec, _ = recorder
    for ch in provider_channels(settings_for(rec, ca=None)).values():  # the SDKs' public CAs
        with pytest.raises(ChannelError, match=r"(?i)certificate"):
            ch.send(Outbound(BODY, PHONE))
    assert rec.sent() == []


def test_a_number_that_is_not_a_mainland_mobile_is_refused_masked(recorder) -> None:  # type: ignore[no-untyped-def]
    _, settings = recorder
    with pytest.raises(ChannelError, match=r"not a mainland mobile number: 031\*+1234") as err:
        provider_channels(settings)["sms"].send(Outbound(BODY, "031166001234"))
    assert "031166001234" not in str(err.value)


def test_templates_file_errors_name_the_table(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text('[default.tencent_sms]\ntemplate_id = "1"\ntext = "{1}"\nparams = ["pm25"]\n')
    with pytest.raises(TemplateError, match=r"\[default.tencent_sms\] names unknown params"):
        load_templates(bad)


def test_escalation_reaches_a_phone_not_a_masked_string(recorder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Before: the only phone anywhere was a masked "138****5678" in a webhook body, so
    # nothing could call anyone. Now the SMS channel hands the provider the full number,
    # opened from the contact directory at send time, while the stored row holds none.
    rec, settings = recorder
    sm = sessions_at(tmp_path / "db.sqlite")
    clock = SystemClock()
    keyring = Keyring.generate(hash_key="k")
    with sm.begin() as s:
        house = Household(name="张三", address="东村12号", village_code="130102001001", phone=PHONE)
        register(
            s,
            Registration(device_id="COA-1", household=house, installer_id="i"),
            keyring,
            clock.now(),
        )
    # The escalation queues the household's SMS for its contact (id only, no phone).
    book = AlertBook(load_rules(), ("log",), directory=ContactDirectory(keyring))
    MessageStore(sm, book).apply([event("COA-1", 1, "alarm_start", co_ppm=300, at=clock.now())])
    notifier = Notifier(
        sm,
        provider_channels(settings),
        RetryPolicy(max_attempts=2, first_backoff_s=0.05),
        clock=clock,
        recipient=contact_phone(keyring),
    )
    notifier.deliver_due(clock.now())
    assert notifier.sent == 1
    (got,) = rec.sent("tencent_sms")
    assert got.phone == "+86" + PHONE  # a number a carrier can deliver to
    assert got.params[:4] == ["一氧化碳报警", "张三", "东村12号", "300"]
    with sm() as s:
        row = s.scalars(select(CoNotification).where(CoNotification.channel == "sms")).one()
    stored = json.dumps(row.body, ensure_ascii=False) + (row.last_error or "")
    assert PHONE not in stored and "138****5678" in stored
    assert row.status == "sent" and row.delivery_state == "sent"
    assert row.provider_id == got.provider_id


def test_a_phone_channel_without_a_known_recipient_fails_worded(recorder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rec, settings = recorder
    sm = sessions_at(tmp_path / "db.sqlite")
    clock = SystemClock()
    MessageStore(sm, AlertBook(load_rules(), ("voice",))).apply(
        [event("COA-2", 1, "alarm_start", co_ppm=300, at=clock.now())]
    )
    notifier = Notifier(
        sm,
        provider_channels(settings),
        RetryPolicy(max_attempts=1),
        clock=clock,
        recipient=contact_phone(Keyring.generate(hash_key="k")),
    )
    notifier.deliver_due(clock.now())
    with sm() as s:
        row = s.scalars(select(CoNotification).where(CoNotification.channel == "voice")).one()
    assert row.status == "failed" and row.delivery_state == "failed"
    assert row.last_error.startswith("no phone number for notification") and row.last_error_at
    assert rec.sent() == []
