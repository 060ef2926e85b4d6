"""The batch endpoint against a real server and a real database (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from coalguard.cloud.app import create_app
from coalguard.cloud.batch_store import GatewayDeadLetterRow, GatewayRecordRow
from coalguard.cloud.gateways import register_gateway, set_enabled
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import SystemClock
from coalguard.edge.uplink.wire import known_finite
from tests.support.servers import ThreadServer

pytestmark = pytest.mark.timeout(120)


class Cloud:
    def __init__(self, app: Any, server: ThreadServer, token: str) -> None:
        self.app = app
        self.engine = app.state.engine
        self.url = server.url
        self.token = token
        self.http = httpx.Client(base_url=server.url, timeout=30)

    def post(
        self,
        records: Any,
        *,
        gateway: str = "gw-1",
        token: str | None = None,
        raw: bytes | None = None,
    ) -> httpx.Response:
        # These tests read the English text (Chinese: tests/cloud/test_refusal_words.py).
        headers = {"Authorization": f"Bearer {token or self.token}", "Accept-Language": "en"}
        if raw is not None:
            return self.http.post(
                f"/api/v1/gateways/{gateway}/batches", content=raw, headers=headers
            )
        return self.http.post(
            f"/api/v1/gateways/{gateway}/batches", json={"records": records}, headers=headers
        )

    def count(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(GatewayRecordRow)).scalar_one()

    def dead_letters(self) -> list[Any]:
        with self.engine.connect() as c:
            return list(c.execute(select(GatewayDeadLetterRow.__table__)))


@pytest.fixture
def cloud(db_url: str) -> Iterator[Cloud]:
    app = create_app(
        CloudSettings(db_url=db_url, max_batch_records=50, max_batch_bytes=64_000), schema="create"
    )
    token = register_gateway(app.state.engine, "gw-1", now=SystemClock().now())
    with ThreadServer(app) as server:
        c = Cloud(app, server, token)
        yield c
        c.http.close()
    app.state.engine.dispose()


def rec(**over: Any) -> dict[str, Any]:
    base = {
        "id": str(uuid.uuid4()),
        "kind": "verdict",
        "priority": "critical",
        "born_at": "2026-01-15T08:30:00.123456+08:00",
        "body": {"sample_id": "S1", "overall": "pass", "values": [1.5, 2]},
    }
    base.update(over)
    return base


def outcomes(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [r["outcome"] for r in resp.json()["results"]]


def test_stores_each_id_once_and_answers_duplicates(cloud: Cloud) -> None:
    batch = [rec(), rec(kind="inspection"), rec(priority="telemetry", kind="reading")]
    assert outcomes(cloud.post(batch)) == ["stored"] * 3
    again = cloud.post([*batch, rec()])
    assert outcomes(again) == ["duplicate", "duplicate", "duplicate", "stored"]
    assert again.json()["counts"] == {"stored": 1, "duplicate": 3, "rejected": 0, "conflict": 0}
    assert [r["id"] for r in again.json()["results"]] == [r["id"] for r in [*batch]] + [
        again.json()["results"][3]["id"]
    ]
    assert cloud.count() == 4


def test_stored_record_keeps_its_content_and_birth_time(cloud: Cloud) -> None:
    r = rec(body={"名称": "无烟煤", "x": 1.25, "nested": {"a": [1, None, True]}})
    assert outcomes(cloud.post([r])) == ["stored"]
    with cloud.engine.connect() as c:
        row = c.execute(
            select(GatewayRecordRow.__table__).where(GatewayRecordRow.id == r["id"])
        ).one()
    assert row.body == r["body"]
    assert row.gateway_id == "gw-1" and row.kind == "verdict" and row.priority == "critical"
    born = (
        row.born_at
        if row.born_at.tzinfo
        else row.born_at.replace(tzinfo=__import__("datetime").UTC)
    )
    assert born.isoformat() == "2026-01-15T00:30:00.123456+00:00"


def test_bad_records_are_rejected_by_id_while_good_ones_are_stored(cloud: Cloud) -> None:
    good = rec()
    bad = [
        rec(id="not-a-uuid"),
        rec(kind=7),
        rec(kind="Bad Kind"),
        rec(priority="urgent"),
        rec(born_at="2026-01-15T08:30:00"),  # no zone
        rec(born_at="yesterday"),
        rec(body=[1, 2]),
        {k: v for k, v in rec().items() if k != "body"},
        rec(extra="field"),
        "not an object",
    ]
    resp = cloud.post([good, *bad])
    res = resp.json()["results"]
    assert [r["outcome"] for r in res] == ["stored"] + ["rejected"] * len(bad)
    reasons = [r["reason"] for r in res[1:]]
    for fragment, reason in zip(
        ["id", "kind", "kind", "priority", "born_at", "born_at", "body", "body", "extra", "record"],
        reasons,
        strict=True,
    ):
        assert fragment in reason, (fragment, reason)
    assert res[1]["id"] == "not-a-uuid"  # named by the id it was sent with
    assert res[10]["id"] is None and res[10]["index"] == 10
    assert cloud.count() == 1
    dead = cloud.dead_letters()
    assert len(dead) == len(bad) and {d.outcome for d in dead} == {"rejected"}


def test_reused_id_with_different_body_is_a_logged_conflict(
    cloud: Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    first = rec()
    assert outcomes(cloud.post([first])) == ["stored"]
    changed = {**first, "body": {**first["body"], "overall": "fail"}}
    with caplog.at_level(logging.WARNING, logger="coalguard.cloud.batches"):
        resp = cloud.post([changed])
    assert outcomes(resp) == ["conflict"]
    assert "different content" in resp.json()["results"][0]["reason"]
    assert any(first["id"] in m and "conflict" in m for m in caplog.messages)
    # the stored record is untouched; the conflicting one is kept as a dead letter
    with cloud.engine.connect() as c:
        body = c.execute(select(GatewayRecordRow.body).where(GatewayRecordRow.id == first["id"]))
        assert body.scalar_one()["overall"] == "pass"
    (dead,) = cloud.dead_letters()
    assert dead.outcome == "conflict" and dead.record_id == first["id"]
    assert json.loads(dead.raw)["body"]["overall"] == "fail"


def test_same_id_twice_in_one_batch(cloud: Cloud) -> None:
    r = rec()
    resp = cloud.post([r, r, {**r, "kind": "inspection"}])
    assert outcomes(resp) == ["stored", "duplicate", "conflict"]
    assert cloud.count() == 1


def test_same_id_from_another_gateway_is_a_conflict(cloud: Cloud) -> None:
    token2 = register_gateway(cloud.engine, "gw-2", now=SystemClock().now())
    r = rec()
    assert outcomes(cloud.post([r])) == ["stored"]
    resp = cloud.post([r], gateway="gw-2", token=token2)
    assert outcomes(resp) == ["conflict"]
    assert "gw-1" in resp.json()["results"][0]["reason"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic Zm9vOmJhcg=="}],
    ids=["missing", "wrong", "not-bearer"],
)
def test_wrong_or_missing_token_is_401(cloud: Cloud, headers: dict[str, str]) -> None:
    resp = cloud.http.post(
        "/api/v1/gateways/gw-1/batches", json={"records": [rec()]}, headers=headers
    )
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"
    assert "gw-1" in resp.json()["detail"]
    assert cloud.count() == 0


def test_unknown_and_disabled_gateways_are_401(cloud: Cloud) -> None:
    assert cloud.post([rec()], gateway="gw-unknown").status_code == 401
    assert cloud.post([rec()], gateway="../../etc").status_code in (401, 404)
    set_enabled(cloud.engine, "gw-1", False)
    assert cloud.post([rec()]).status_code == 401
    assert cloud.count() == 0


def test_another_gateways_token_does_not_open_this_gateway(cloud: Cloud) -> None:
    token2 = register_gateway(cloud.engine, "gw-2", now=SystemClock().now())
    assert cloud.post([rec()], gateway="gw-1", token=token2).status_code == 401


def test_too_many_records_is_413_naming_the_limit(cloud: Cloud) -> None:
    resp = cloud.post([rec(body={}) for _ in range(51)])
    assert resp.status_code == 413
    assert "51 records" in resp.json()["detail"] and "limit is 50" in resp.json()["detail"]
    assert cloud.count() == 0


def test_too_many_bytes_is_413_naming_the_limit(cloud: Cloud) -> None:
    resp = cloud.post([rec(body={"pad": "x" * 70_000})])
    assert resp.status_code == 413
    assert "64000 bytes" in resp.json()["detail"]

    # a chunked upload without Content-Length is cut off the same way
    def chunks() -> Iterator[bytes]:
        yield b'{"records": ['
        for _ in range(100):
            yield json.dumps(rec(body={"pad": "y" * 1000})).encode() + b","
        yield json.dumps(rec()).encode() + b"]}"

    resp = cloud.http.post(
        "/api/v1/gateways/gw-1/batches",
        content=chunks(),
        headers={"Authorization": f"Bearer {cloud.token}"},
    )
    assert resp.status_code == 413
    assert cloud.count() == 0


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"records": [', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", '{"records"'),
        (b'{"records": {"a": 1}}', '{"records"'),
        (b'{"records": [], "gateway": "x"}', "unknown field"),
    ],
    ids=["truncated", "not-utf8", "array", "records-not-list", "extra-field"],
)
def test_malformed_requests_are_422(cloud: Cloud, raw: bytes, fragment: str) -> None:
    resp = cloud.post(None, raw=raw)
    assert resp.status_code == 422
    assert fragment in resp.json()["detail"]


def test_gzip_batches_are_inflated_within_the_limit(cloud: Cloud) -> None:
    import gzip

    headers = {
        "Authorization": f"Bearer {cloud.token}",
        "Content-Encoding": "gzip",
        "Accept-Language": "en",
    }
    url = "/api/v1/gateways/gw-1/batches"
    batch = [rec(body={"pad": "x" * 500}) for _ in range(40)]
    body = gzip.compress(json.dumps({"records": batch}).encode())
    resp = cloud.http.post(url, content=body, headers=headers)
    assert outcomes(resp) == ["stored"] * 40
    # a small gzip that inflates past max_batch_bytes (64,000) is refused, not inflated
    bomb = gzip.compress(b'{"records": [' + b" " * 10_000_000 + b"]}")
    assert len(bomb) < 64_000
    resp = cloud.http.post(url, content=bomb, headers=headers)
    assert resp.status_code == 413 and "64000 bytes" in resp.json()["detail"]
    resp = cloud.http.post(url, content=body[:-20], headers=headers)
    assert resp.status_code == 422 and "gzip" in resp.json()["detail"]
    resp = cloud.http.post(url, content=body, headers={**headers, "Content-Encoding": "br"})
    assert resp.status_code == 415
    assert cloud.count() == 40


def test_empty_batch_is_fine(cloud: Cloud) -> None:
    resp = cloud.post([])
    assert resp.status_code == 200 and resp.json()["results"] == []


def test_nan_in_body_is_rejected(cloud: Cloud) -> None:
    raw = (
        '{"records": [' + json.dumps(rec())[:-1].rsplit('"body"', 1)[0] + '"body": {"x": NaN}}]}'
    ).encode()
    resp = cloud.post(None, raw=raw)
    assert outcomes(resp) == ["rejected"]
    assert "body" in resp.json()["results"][0]["reason"]


@pytest.mark.parametrize(
    "number",
    [b"1e999", b"-1E+400", b"0.5e0309", b"1" + b"0" * 320 + b".5", b"1" + b"0" * 300 + b"e10"],
)
def test_infinite_number_in_body_is_rejected_not_stored_as_null(
    cloud: Cloud, number: bytes
) -> None:
    # The body's fast encoder (orjson) writes an infinity as null: it must never see one.
    good, bad = rec(), rec(body={"x": 0, "y": None})
    raw = _batch(good, bad).replace(b'"x": 0', b'"x": ' + number)
    resp = cloud.post(None, raw=raw)
    assert outcomes(resp) == ["stored", "rejected"]
    assert "Infinity is not a finite number" in resp.json()["results"][1]["reason"]


def test_hex_hashes_and_ids_do_not_look_like_infinite_numbers() -> None:
    # "7181e368…" (a ledger hash) once sent every real batch down the slow encoder
    raw = b'{"records": [{"hash": "7181e368892164", "id": "0f-3e1234ab", "x": 2.5e12}]}'
    assert known_finite(raw) == {"finite": True}
    assert known_finite(b'{"records": [{"x": 2.5e123}]}') == {"finite": False}


def test_numbers_the_fast_encoder_cannot_hold_are_stored_exactly(cloud: Cloud) -> None:
    big = 2**64 * 12345 + 7  # over 64 bits: the canonical text comes from json instead
    r = rec(body={"big": big, "small": 1e-7, "neg": -(2**63), "t": "\u2028", "z": 0.1})
    assert outcomes(cloud.post([r])) == ["stored"]
    with cloud.engine.connect() as c:
        body = c.execute(select(GatewayRecordRow.body).where(GatewayRecordRow.id == r["id"])).one()
    assert body[0] == r["body"] and isinstance(body[0]["big"], int)


def test_schema_is_created_on_this_backend(cloud: Cloud) -> None:
    with cloud.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM gateways")).scalar_one() == 1


@pytest.mark.timeout(180)
def test_database_down_is_503_with_retry_after_then_recovers() -> None:
    from tests.support.servers import postgres_server

    with postgres_server() as pg:
        app = create_app(CloudSettings(db_url=pg.new_database()), schema="create")
        token = register_gateway(app.state.engine, "gw-1", now=SystemClock().now())
        with ThreadServer(app) as server:
            cloud = Cloud(app, server, token)
            assert outcomes(cloud.post([rec()])) == ["stored"]
            pg.stop_server()
            resp = cloud.post([rec()])
            assert resp.status_code == 503
            assert resp.headers["retry-after"] == "5"
            assert resp.json()["type"] == "urn:coalguard:problem:db_unavailable"
            pg.start_server()
            r = rec()
            assert outcomes(cloud.post([r])) == ["stored"]  # the pool reconnects by itself
            assert cloud.count() == 2
            cloud.http.close()
        app.state.engine.dispose()


# -- Issue 10: hostile input gets a clear 413/422 or a rejected record, never a 500;
# whatever the cloud cannot read is kept as a dead letter with the reason.


def _batch(*records: dict, extra: bytes = b"") -> bytes:
    return (
        b'{"records": [' + b",".join(json.dumps(r).encode() for r in records) + b"]" + extra + b"}"
    )


def _reasons(cloud: Cloud) -> dict[str | None, str]:
    return {d.record_id: d.reason for d in cloud.dead_letters()}


def test_batch_nested_too_deep_to_parse_is_422_and_dead_lettered_not_500(cloud: Cloud) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    resp = cloud.post(None, raw=_batch(rec()).replace(b'"values": [1.5, 2]', b'"v": ' + deep))
    assert resp.status_code == 422, resp.text
    assert "nested too deeply" in resp.json()["detail"]
    [dead] = cloud.dead_letters()
    assert dead.record_id is None and "nested too deeply" in dead.reason
    assert dead.raw.startswith('{"records": [')
    assert cloud.count() == 0


def test_record_nested_deeper_than_the_limit_is_rejected_alone_not_500(cloud: Cloud) -> None:
    good, bad = rec(), rec(body={"v": json.loads("[" * 300 + "]" * 300)})
    resp = cloud.post(None, raw=_batch(good, bad))
    assert outcomes(resp) == ["stored", "rejected"]
    assert "nested deeper than 64 levels" in resp.json()["results"][1]["reason"]
    assert "nested deeper" in _reasons(cloud)[bad["id"]]


def test_integer_over_4300_digits_rejects_its_record_not_the_batch_not_500(cloud: Cloud) -> None:
    good, bad = rec(), rec(body={"n": 0})
    raw = _batch(good, bad).replace(b'"n": 0', b'"n": ' + b"9" * 5000)
    resp = cloud.post(None, raw=raw)
    assert outcomes(resp) == ["stored", "rejected"]
    reason = resp.json()["results"][1]["reason"]
    assert reason == "body.n: integer of 5000 digits is over the limit of 4300 digits"
    assert _reasons(cloud)[bad["id"]] == reason
    assert "<integer of 5000 digits>" in cloud.dead_letters()[0].raw


def test_batch_with_year_one_born_at_is_rejected_not_500(cloud: Cloud) -> None:
    early = rec(born_at="0001-01-01T00:00:00+08:00")
    late = rec(born_at="9999-12-31T23:59:59-08:00")
    resp = cloud.post([rec(), early, late])
    assert outcomes(resp) == ["stored", "rejected", "rejected"]
    for r in resp.json()["results"][1:]:
        assert (
            r["reason"].startswith("born_at: ") and "outside the times UTC can hold" in r["reason"]
        )
    assert set(_reasons(cloud)) == {early["id"], late["id"]}


def test_lone_surrogates_are_rejected_with_the_reason_not_500(cloud: Cloud) -> None:
    in_value, in_key, in_utf8 = rec(body={"s": "X"}), rec(body={"K": 1}), rec(body={"s": "Y"})
    raw = (
        _batch(rec(), in_value, in_key, in_utf8)
        .replace(b'"X"', b'"\\ud800"')
        .replace(b'"K"', b'"\\udfff"')
        .replace(b'"Y"', b'"\xed\xa0\x80"')  # a surrogate encoded as UTF-8 bytes
    )
    resp = cloud.post(None, raw=raw)
    assert outcomes(resp) == ["stored", "rejected", "rejected", "rejected"]
    reasons = [r["reason"] for r in resp.json()["results"][1:]]
    assert reasons[0] == "body.s: text is not valid Unicode (lone surrogate \\ud800)"
    assert reasons[1] == "body: key text is not valid Unicode (lone surrogate \\udfff)"
    assert reasons[2] == "body.s: text is not valid Unicode (lone surrogate \\ud800)"
    assert len(cloud.dead_letters()) == 3
    # a surrogate in the id and in an unknown batch field: named, escaped, kept
    resp = cloud.post(None, raw=_batch(rec(id="Z")).replace(b'"Z"', b'"\\udc00"'))
    assert resp.json()["results"][0]["id"] == "\\udc00"
    resp = cloud.post(None, raw=_batch(rec(), extra=b', "\\ud801": 1'))
    assert resp.status_code == 422 and resp.json()["detail"].endswith(
        "unknown field(s) in batch: \\ud801"
    )
    assert len(cloud.dead_letters()) == 5


def test_nul_in_body_is_rejected_on_every_backend_not_500(cloud: Cloud) -> None:
    bad = rec(body={"s": "a\u0000b"})
    resp = cloud.post([rec(), bad])
    assert outcomes(resp) == ["stored", "rejected"]
    assert "NUL" in resp.json()["results"][1]["reason"]


def test_unreadable_batches_are_dead_lettered_with_the_reason(cloud: Cloud) -> None:
    for raw, fragment in (
        (b"{not json", "not valid JSON"),
        (b'{"records": 5}', "must be a JSON object"),
        (b"\xff\xfe\x00", "not valid"),
    ):
        resp = cloud.post(None, raw=raw)
        assert resp.status_code == 422 and fragment in resp.json()["detail"], resp.text
    assert [d.record_id for d in cloud.dead_letters()] == [None, None, None]
    assert cloud.dead_letters()[0].raw == "{not json"


def test_records_of_a_batch_are_stored_in_batch_order(cloud: Cloud) -> None:
    """``seq`` is the order of arrival the projector reads by: PostgreSQL inserts a batch
    as one statement over arrays, which must keep the batch's order."""
    batch = [rec(born_at=f"2026-01-15T08:{59 - k:02d}:00+08:00") for k in range(40)]
    assert outcomes(cloud.post(batch)) == ["stored"] * 40
    with cloud.engine.connect() as c:
        ids = c.execute(select(GatewayRecordRow.id).order_by(GatewayRecordRow.seq)).scalars()
        assert list(ids) == [r["id"] for r in batch]
