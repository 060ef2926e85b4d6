"""The batch ingest's fast path (orjson, the envelope checked by hand) against the strict one.

A fast path is trustworthy only where it answers as the strict path (pydantic
``WireRecord``, ``untrusted_json.parse``) would. These properties draw arbitrary
records and batches and require, wherever the fast path takes a record, the
same values, instant, offset and canonical text as ``WireRecord``; and for
whole batches the same outcomes and the same stored rows on two databases.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import create_engine, text

from coalguard.cloud.api.routes.batches import Unreadable, parse_batch, plain_batch
from coalguard.cloud.batch_store import GatewayDeadLetterRow, GatewayRecordRow, store_batch
from coalguard.edge.uplink import wire
from coalguard.edge.uplink.wire import FINITE, KIND_PATTERN, WireRecord, known_finite
from coalguard.untrusted_json import parse_fast
from tests.support.hostile_json import HOSTILE_FRAGMENTS, any_text, json_values

_ids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: f"{u}\n"),
    any_text,
)
_kinds = st.one_of(st.from_regex(KIND_PATTERN, fullmatch=True), any_text)
_times = st.one_of(
    st.from_regex(wire._PLAIN_TIME, fullmatch=True),
    st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]{5,15}(Z|z|[+-][0-9:]{2,5})?", fullmatch=True
    ),
    st.sampled_from(["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "2026-01-15"]),
    any_text,
)
_values = json_values()
_body_texts = st.one_of(
    st.dictionaries(any_text, _values, max_size=4).map(json.dumps),
    st.dictionaries(any_text, _values, max_size=4).map(lambda d: json.dumps(d, ensure_ascii=False)),
    st.sampled_from(HOSTILE_FRAGMENTS).map(lambda f: '{"x": ' + f + "}"),
    st.integers(60, 70).map(lambda n: '{"d": ' + "[" * n + "]" * n + "}"),
    st.lists(st.integers(-(2**70), 2**70), max_size=3).map(lambda v: json.dumps({"n": v})),
)
_field_texts = {
    "id": _ids.map(json.dumps),
    "kind": _kinds.map(json.dumps),
    "priority": st.sampled_from(["critical", "telemetry", "Critical", ""]).map(json.dumps),
    "born_at": _times.map(json.dumps),
    "body": _body_texts,
}
_other = _values.map(json.dumps)


def _record_text(rid: str, body: str) -> str:
    head = {"id": rid, "kind": "k", "priority": "critical", "born_at": "2026-01-15T08:30:00Z"}
    return json.dumps(head)[:-1] + f', "body": {body}}}'


@st.composite
def record_texts(draw: st.DrawFn) -> str:
    """One record as JSON text: mostly valid fields, any of them at times anything."""
    fields = {name: draw(strategy) for name, strategy in _field_texts.items()}
    for name in draw(st.sets(st.sampled_from([*fields, "extra"]), max_size=2)):
        if draw(st.booleans()) and name != "extra":
            del fields[name]
        else:
            fields[name] = draw(_other)
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(text_=record_texts())
@example(text_=_record_text(f"{uuid.uuid4()}\n", "{}"))
def test_a_record_the_fast_path_takes_is_what_wire_record_makes(text_: str) -> None:
    item = parse_fast(text_.encode("utf-8", "surrogatepass"))
    if item is None:
        return
    plain = wire._plain_record(item)
    if plain is None:
        return  # the strict path judges it
    model = WireRecord.model_validate(item, context={FINITE: True})
    assert (plain.id, plain.kind, plain.priority) == (model.id, model.kind, model.priority)
    assert plain.born_at == model.born_at
    assert plain.born_at.utcoffset() == model.born_at.utcoffset()
    assert plain.body == model.body
    assert plain.canonical_body() == model.canonical_body()


@settings(max_examples=400, deadline=None)
@given(born=st.from_regex(wire._PLAIN_TIME, fullmatch=True))
def test_plain_times_read_as_pydantic_reads_them(born: str) -> None:
    item = {"id": str(uuid.uuid4()), "kind": "k", "priority": "critical", "born_at": born}
    plain = wire._plain_record({**item, "body": {}})
    try:
        model = WireRecord.model_validate({**item, "body": {}})
    except ValidationError:
        assert plain is None
        return
    if plain is not None:
        assert plain.born_at == model.born_at
        assert plain.born_at.utcoffset() == model.born_at.utcoffset()


# -- whole batches: the same outcomes and stored rows by either path ------------------

_DIR = Path(tempfile.mkdtemp(prefix="coalguard-fast-path-"))


def _engine(name: str) -> Any:
    engine = create_engine(f"sqlite:///{_DIR}/{name}.sqlite")
    tables = [GatewayRecordRow.__table__, GatewayDeadLetterRow.__table__]
    GatewayRecordRow.metadata.create_all(engine, tables=tables)
    return engine


FAST, STRICT = _engine("fast"), _engine("strict")
AT = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def _strict(raw: bytes, engine: Any = STRICT) -> list[dict[str, Any]] | str:
    try:
        doc = parse_batch(raw)
    except Unreadable as exc:
        return str(exc)
    outs = store_batch(
        engine,
        "gw",
        doc["records"],
        max_record_bytes=4096,
        received_at=AT,
        context=known_finite(raw),
    )
    return [o.as_dict() for o in outs]


def _rows(engine: Any, ids: list[str]) -> list[tuple[Any, ...]]:
    sql = text(
        "SELECT id, gateway_id, kind, priority, born_at, received_at, body FROM gateway_records "
        "WHERE id IN (SELECT value FROM json_each(:ids)) ORDER BY id"
    )
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(sql, {"ids": json.dumps(ids)})]


_batches = st.lists(record_texts(), min_size=1, max_size=4) | st.lists(
    st.builds(
        lambda body: json.dumps(
            {
                "id": str(uuid.uuid4()),
                "kind": "verdict",
                "priority": "telemetry",
                "born_at": "2026-01-15T08:30:00.5+08:00",
                "body": {"v": body},
            }
        ),
        _values,
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.timeout(300)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(recs=_batches, resend=st.booleans())
def test_fast_and_strict_paths_store_the_same_rows(recs: list[str], resend: bool) -> None:
    raw = ('{"records": [' + ", ".join(recs * (2 if resend else 1)) + "]}").encode(
        "utf-8", "surrogatepass"
    )
    strict = _strict(raw)
    plain = plain_batch(raw, max_records=50)
    if plain is None:  # the route takes the strict path: nothing else to compare, but
        _strict(raw, FAST)  # both databases keep one history (examples reuse ids)
        return
    items, checked = plain
    fast = store_batch(
        FAST,
        "gw",
        items,
        max_record_bytes=4096,
        received_at=AT,
        context={FINITE: True},
        checked=checked,
    )
    assert [o.as_dict() for o in fast] == strict
    ids = [r.id for r in checked]
    fast_rows, strict_rows = _rows(FAST, ids), _rows(STRICT, ids)
    if known_finite(raw)[FINITE]:
        assert fast_rows == strict_rows  # the very same text
    else:  # "NaN" in some text: the strict path wrote json.dumps' spelling of the same values
        assert [(*r[:6], json.loads(r[6])) for r in fast_rows] == [
            (*r[:6], json.loads(r[6])) for r in strict_rows
        ]


def test_nesting_orjson_reads_and_python_may_not_is_judged_by_the_strict_path() -> None:
    """orjson reads 1,000 levels: the fast path must not take it, whatever Python makes of it."""
    body = '{"v": ' + "[" * 1000 + "]" * 1000 + "}"
    raw = ('{"records": [' + _record_text(str(uuid.uuid4()), body) + "]}").encode()
    assert parse_fast(raw) is not None
    assert plain_batch(raw, max_records=50) is None
