"""Local provider recorder — NOT a real carrier: nothing here reaches a phone.

A real HTTPS server that answers the requests the official SDKs make to
Tencent Cloud SMS (``SendSms`` 2021-01-11), Tencent Cloud VMS
(``SendTtsVoice``) and Aliyun SMS (``SendSms`` 2017-05-25), so tests and the
demo run the real SDK end to end with no provider ever called. Point every
provider endpoint at ``recorder.endpoint`` (``127.0.0.1:<port>``) and the
providers' CA at the recorder's CA.

Each request's signature is verified the way the provider documents it, with
the configured keys: Tencent TC3-HMAC-SHA256 (canonical request, credential
scope ``<date>/<service>/tc3_request``, ``X-TC-Timestamp`` within 5 minutes)
and Aliyun ACS3-HMAC-SHA256 (canonical request over the signed headers,
``x-acs-content-sha256`` matching the body, ``x-acs-date`` within 15 minutes,
``x-acs-signature-nonce`` used once). A request that fails is refused in the
provider's error format (and listed in ``refused``); one that passes is
recorded (``requests``) and answered in the provider's response format.

It can be told to fail (``fail_with``: the provider's error code; ``outage``:
connections closed unanswered; ``slow``: answers delayed) and to push
delivery receipts in the providers' callback formats (``push_receipt``, or
``auto_receipts`` after every accepted request).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from coalguard.edge.clock import LOCAL_TZ, Clock, SystemClock

log = logging.getLogger("coalguard.simulators.sms_recorder")

TENCENT_SKEW = timedelta(minutes=5)
ALIYUN_SKEW = timedelta(minutes=15)
TENCENT_SERVICES = {"SendSms": ("sms", "tencent_sms"), "SendTtsVoice": ("vms", "tencent_vms")}
_TC3 = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)"
    r"/tc3_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)
_ACS3 = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<id>[^,]+),SignedHeaders=(?P<signed>[a-z0-9;-]+),"
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)
_ACS3_MUST_SIGN = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)


@dataclass(frozen=True)
class Recorded:
    """One accepted request: what the provider would have sent to whom."""

    provider: str  # tencent_sms | tencent_vms | aliyun_sms
    phone: str
    template_id: str
    params: list[str] | dict[str, str]
    provider_id: str  # SerialNo / CallId / BizId, as answered
    at: datetime
    raw: dict[str, Any] = field(repr=False)


class Refusal(Exception):
    """The request is refused with the provider's error ``code`` (and HTTP status)."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass
class _Failure:
    code: str
    message: str
    times: int | None  # None: until cleared


class ProviderRecorder:
    """The recorder: ``with ProviderRecorder(cert, key, tencent=(id, key), …) as rec``."""

    def __init__(
        self,
        cert: Path,
        key: Path,
        *,
        tencent: tuple[str, str] | None = None,
        aliyun: tuple[str, str] | None = None,
        port: int = 0,
        clock: Clock | None = None,
        receipt_verify: bool | str = True,
    ) -> None:
        self.clock = clock or SystemClock()
        self.keys = {"tencent": dict([tencent]) if tencent else {}}
        self.keys["aliyun"] = dict([aliyun]) if aliyun else {}
        self.requests: list[Recorded] = []
        self.listeners: list[Callable[[Recorded], None]] = []  # told of each accepted request
        self.refused: list[str] = []
        self.receipts_pushed = 0
        self.receipt_verify = receipt_verify  # TLS verification of pushes to https URLs
        self._lock = threading.Lock()
        self._nonces: set[str] = set()
        self._failures: dict[str, _Failure] = {}
        self._outage = False
        self._delay = 0.0
        self._auto: dict[str, tuple[str, bool, float]] = {}
        self._stop = threading.Event()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(cert), str(key))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.endpoint = f"127.0.0.1:{self.port}"  # what the SDKs take as their endpoint
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- life ------------------------------------------------------------------------
    def start(self) -> ProviderRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> ProviderRecorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a test or the demo tells it -------------------------------------------
    def fail_with(self, provider: str, code: str, message: str, times: int | None = None) -> None:
        """Answer ``provider``'s next ``times`` requests (None: all) with this error code."""
        with self._lock:
            self._failures[provider] = _Failure(code, message, times)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def outage(self, on: bool = True) -> None:
        """While on, every connection is closed without an answer (the provider is down)."""
        self._outage = on

    def slow(self, delay_s: float) -> None:
        """Answer every request ``delay_s`` late (a client's timeout shows)."""
        self._delay = delay_s

    def auto_receipts(
        self, provider: str, url: str, delivered: bool = True, delay_s: float = 0.5
    ) -> None:
        """After each accepted ``provider`` request, push its receipt to ``url``."""
        self._auto[provider] = (url, delivered, delay_s)

    def sent(self, provider: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if provider in (None, r.provider)]

    # -- receipts ---------------------------------------------------------------------
    def receipt(self, rec: Recorded, delivered: bool) -> Any:
        """``rec``'s delivery receipt in its provider's callback format."""
        local = rec.at.astimezone(LOCAL_TZ)
        stamp = local.strftime("%Y-%m-%d %H:%M:%S")
        mobile = rec.phone.removeprefix("+86")
        if rec.provider == "tencent_sms":
            return [
                {
                    "user_receive_time": stamp,
                    "nationcode": "86",
                    "mobile": mobile,
                    "report_status": "SUCCESS" if delivered else "FAIL",
                    "errmsg": "DELIVRD" if delivered else "UNDELIV",
                    "description": "用户短信送达成功" if delivered else "用户短信未送达",
                    "sid": rec.provider_id,
                }
            ]
        if rec.provider == "tencent_vms":
            epoch = str(int(rec.at.timestamp()))
            return {
                "voiceprompt_callback": {
                    "result": "0" if delivered else "1",
                    "accept_time": epoch if delivered else "0",
                    "call_from": "",
                    "callid": rec.provider_id,
                    "end_calltime": epoch,
                    "fee": "1" if delivered else "0",
                    "mobile": mobile,
                    "nationcode": "86",
                    "start_calltime": epoch,
                }
            }
        return [
            {
                "phone_number": mobile,
                "send_time": stamp,
                "report_time": stamp,
                "success": delivered,
                "err_code": "DELIVERED" if delivered else "MK:0001",
                "err_msg": "用户接收成功" if delivered else "用户未接收",
                "sms_size": "1",
                "biz_id": rec.provider_id,
                "out_id": str(rec.raw.get("OutId", "")),
            }
        ]

    def push_receipt(self, rec: Recorded, url: str, delivered: bool = True) -> httpx.Response:
        """POST ``rec``'s receipt to ``url`` as the provider would; the cloud's answer."""
        resp = httpx.post(url, json=self.receipt(rec, delivered), verify=self.receipt_verify)
        self.receipts_pushed += 1
        return resp

    def _after_accept(self, rec: Recorded) -> None:
        auto = self._auto.get(rec.provider)
        if auto is None:
            return
        url, delivered, delay = auto

        def push() -> None:
            if self._stop.wait(delay):
                return
            try:
                self.push_receipt(rec, url, delivered)
            except httpx.HTTPError as exc:
                log.warning("receipt push to %s failed: %s", url, exc)

        threading.Thread(target=push, daemon=True).start()

    # -- one request --------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict, str]:
        """Verify, record and answer one request: (status, JSON body, content type)."""
        if self._delay:
            self._stop.wait(self._delay)
        auth = headers.get("Authorization", "")
        if auth.startswith("TC3-"):
            return self._tencent(method, path, headers, body)
        if auth.startswith("ACS3-"):
            return self._aliyun(method, path, headers, body)
        self.refused.append(f"unsigned request to {path}")
        return 401, {"Code": "MissingAuthorization", "Message": "no signature"}, "application/json"

    def _failure(self, provider: str) -> _Failure | None:
        with self._lock:
            f = self._failures.get(provider)
            if f is None:
                return None
            if f.times is not None:
                f.times -= 1
                if f.times <= 0:
                    del self._failures[provider]
            return f

    def _record(self, rec: Recorded) -> None:
        with self._lock:
            self.requests.append(rec)
        for listen in self.listeners:
            listen(rec)
        self._after_accept(rec)

    def _tencent(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict, str]:
        request_id = str(uuid.uuid4())
        action = headers.get("X-TC-Action", "")
        try:
            service, provider = TENCENT_SERVICES.get(action) or ("", "")
            if not service:
                raise Refusal("InvalidAction", f"the recorder knows no action {action!r}")
            self.verify_tc3(method, path, headers, body, service)
            params = json.loads(body or b"{}")
            answer = self._tencent_answer(provider, params)
        except Refusal as exc:
            self.refused.append(str(exc))
            err = {"Error": {"Code": exc.code, "Message": exc.message}, "RequestId": request_id}
            return 200, {"Response": err}, "application/json"
        answer["RequestId"] = request_id
        return 200, {"Response": answer}, "application/json"

    def verify_tc3(self, method: str, path: str, headers: Any, body: bytes, service: str) -> None:
        """Tencent's signature v3, recomputed from the request with the SecretKey on file."""
        m = _TC3.match(headers.get("Authorization", ""))
        if not m:
            raise Refusal("AuthFailure.InvalidAuthorization", "Authorization is not TC3 form")
        secret = self.keys["tencent"].get(m["id"])
        if secret is None:
            raise Refusal("AuthFailure.SecretIdNotFound", "the SecretId is not known")
        try:
            ts = int(headers.get("X-TC-Timestamp", ""))
        except ValueError:
            raise Refusal("AuthFailure.InvalidAuthorization", "X-TC-Timestamp missing") from None
        when = datetime.fromtimestamp(ts, UTC)
        if abs(self.clock.now() - when) > TENCENT_SKEW:
            raise Refusal("AuthFailure.SignatureExpire", "X-TC-Timestamp is too far from now")
        if m["date"] != when.strftime("%Y-%m-%d") or m["service"] != service:
            raise Refusal("AuthFailure.InvalidAuthorization", "credential scope does not match")
        signed = m["signed"].split(";")
        if not {"content-type", "host"} <= set(signed):
            raise Refusal("AuthFailure.InvalidAuthorization", "content-type and host unsigned")
        url = urlsplit(path)
        canonical_headers = "".join(
            f"{h}:{(headers.get(h) or '').strip().lower()}\n" for h in signed
        )
        payload = b"" if method == "GET" else body
        canonical = "\n".join(
            [
                method,
                url.path or "/",
                url.query if method == "GET" else "",
                canonical_headers,
                m["signed"],
                hashlib.sha256(payload).hexdigest(),
            ]
        )
        scope = f"{m['date']}/{service}/tc3_request"
        to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(ts),
                scope,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )

        def mac(k: bytes, msg: str) -> bytes:
            return hmac.new(k, msg.encode(), hashlib.sha256).digest()

        k = mac(mac(mac(("TC3" + secret).encode(), m["date"]), service), "tc3_request")
        want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, m["sig"]):
            raise Refusal("AuthFailure.SignatureFailure", "the signature does not match")

    def _tencent_answer(self, provider: str, p: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        context = str(p.get("SessionContext") or "")
        if provider == "tencent_sms":
            phones = p.get("PhoneNumberSet") or []
            if not phones or not p.get("TemplateId") or not p.get("SmsSdkAppId"):
                raise Refusal("MissingParameter", "PhoneNumberSet, TemplateId, SmsSdkAppId")
            failure = self._failure(provider)
            out = []
            for phone in phones:
                serial = f"2433:{uuid.uuid4().hex[:20]}"
                if failure:
                    code, msg, serial = failure.code, failure.message, ""
                else:
                    code, msg = "Ok", "send success"
                    self._record(
                        Recorded(
                            provider,
                            phone,
                            str(p["TemplateId"]),
                            list(p.get("TemplateParamSet") or []),
                            serial,
                            now,
                            p,
                        )
                    )
                out.append(
                    {
                        "SerialNo": serial,
                        "PhoneNumber": phone,
                        "Fee": 0 if failure else 1,
                        "SessionContext": context,
                        "Code": code,
                        "Message": msg,
                        "IsoCode": "CN",
                    }
                )
            return {"SendStatusSet": out}
        if not p.get("CalledNumber") or not p.get("TemplateId") or not p.get("VoiceSdkAppid"):
            raise Refusal("MissingParameter", "CalledNumber, TemplateId, VoiceSdkAppid")
        failure = self._failure(provider)
        if failure:
            raise Refusal(failure.code, failure.message)
        call_id = uuid.uuid4().hex
        self._record(
            Recorded(
                provider,
                str(p["CalledNumber"]),
                str(p["TemplateId"]),
                list(p.get("TemplateParamSet") or []),
                call_id,
                now,
                p,
            )
        )
        return {"SendStatus": {"CallId": call_id, "SessionContext": context}}

    def _aliyun(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict, str]:
        request_id = str(uuid.uuid4()).upper()
        ctype = "application/json;charset=utf-8"
        try:
            params = self.verify_acs3(method, path, headers, body)
            if headers.get("x-acs-action") != "SendSms":
                raise Refusal("InvalidAction.NotFound", "the recorder knows only SendSms", 404)
            answer = self._aliyun_answer(params)
        except Refusal as exc:
            self.refused.append(str(exc))
            err = {"RequestId": request_id, "Code": exc.code, "Message": exc.message}
            return exc.status, err, ctype
        return 200, {**answer, "RequestId": request_id}, ctype

    def verify_acs3(self, method: str, path: str, headers: Any, body: bytes) -> dict[str, str]:
        """Aliyun's ACS3-HMAC-SHA256 (what the installed SDK signs with); the parameters."""
        m = _ACS3.match(headers.get("Authorization", ""))
        if not m:
            raise Refusal("IncompleteSignature", "Authorization is not ACS3 form", 400)
        secret = self.keys["aliyun"].get(m["id"])
        if secret is None:
            raise Refusal("InvalidAccessKeyId.NotFound", "the AccessKeyId is not known", 404)
        signed = m["signed"].split(";")
        missing = [h for h in _ACS3_MUST_SIGN if h not in signed]
        if missing or (headers.get("content-type") and "content-type" not in signed):
            raise Refusal("IncompleteSignature", f"headers left unsigned: {missing}", 400)
        try:
            when = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise Refusal("InvalidTimeStamp.Format", "x-acs-date is not ISO 8601", 400) from None
        if abs(self.clock.now() - when.replace(tzinfo=UTC)) > ALIYUN_SKEW:
            raise Refusal("InvalidTimeStamp.Expired", "x-acs-date is too far from now", 400)
        payload_hash = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != payload_hash:
            raise Refusal("IncompleteSignature", "x-acs-content-sha256 is not the body's", 400)
        url = urlsplit(path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        canonical_query = "&".join(f"{k}={quote(query[k], safe='~')}" for k in sorted(query))
        canonical_headers = "".join(f"{h}:{(headers.get(h) or '').strip()}\n" for h in signed)
        canonical = "\n".join(
            [method, url.path or "/", canonical_query, canonical_headers, m["signed"], payload_hash]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        want = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, m["sig"]):
            raise Refusal("SignatureDoesNotMatch", "the signature does not match", 400)
        nonce = headers.get("x-acs-signature-nonce", "")
        with self._lock:
            if nonce in self._nonces:
                raise Refusal("SignatureNonceUsed", "the nonce was used already", 400)
            self._nonces.add(nonce)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return {**query, **form}

    def _aliyun_answer(self, p: dict[str, str]) -> dict[str, Any]:
        if not p.get("PhoneNumbers") or not p.get("TemplateCode") or not p.get("SignName"):
            raise Refusal("MissingParameter", "PhoneNumbers, SignName, TemplateCode", 400)
        failure = self._failure("aliyun_sms")
        if failure:
            return {"Code": failure.code, "Message": failure.message}
        try:
            params = json.loads(p.get("TemplateParam") or "{}")
        except ValueError:
            return {"Code": "isv.INVALID_JSON_PARAM", "Message": "TemplateParam is not JSON"}
        biz_id = f"{uuid.uuid4().int % 10**18}^0"
        self._record(
            Recorded(
                "aliyun_sms",
                p["PhoneNumbers"],
                p["TemplateCode"],
                params,
                biz_id,
                self.clock.now(),
                p,
            )
        )
        return {"Code": "OK", "Message": "OK", "BizId": biz_id}


def _handler(rec: ProviderRecorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One write per answer, sent at once (headers and body apart meet delayed ACKs: +40 ms).
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            if rec._outage:  # the provider is down: the connection drops unanswered
                self.close_connection = True
                return
            status, answer, ctype = rec.handle(self.command, self.path, self.headers, body)
            raw = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_POST = _serve
        do_GET = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("recorder: " + format, *args)

    return Handler
