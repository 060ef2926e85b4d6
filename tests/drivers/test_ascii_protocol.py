"""ASCII line protocol: framing and parsing under noise. No I/O here."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalguard.drivers.analyzer.ascii import AsciiAnalyzer
from coalguard.drivers.analyzer.ascii_protocol import (
    LineFramer,
    Reject,
    checksum,
    frame,
    parse_line,
    parse_result,
)

GOOD = frame(
    "CGR",
    {
        "SEQ": 7,
        "ID": "S0007",
        "TS": "2026-11-23T08:00:00+08:00",
        "Mad": "1.20",
        "Aad": "12.30",
        "St_ad": "0.45",
        "Qgr_ad": "27.10",
        "ST": "OK",
    },
)


def results(data: bytes, drv: AsciiAnalyzer | None = None, chunk: int = 0) -> list:
    drv = drv or AsciiAnalyzer("loop://")
    if not chunk:
        return list(drv.feed(data))
    out = []
    for i in range(0, len(data), chunk):
        out.extend(drv.feed(data[i : i + chunk]))
    return out


def test_checksum_is_xor_between_dollar_and_star() -> None:
    assert frame("CGQ") == b"$CGQ*" + checksum(b"CGQ").encode() + b"\r\n"
    assert checksum(b"AB") == "03"


def test_good_line_parses_to_canonical_units() -> None:
    line = parse_line(GOOD.rstrip(b"\r\n"))
    assert not isinstance(line, Reject)
    r = parse_result(line)
    assert not isinstance(r, Reject)
    assert r.sample_id == "S0007" and r.sequence == 7
    assert r.indicators == {"Mad": 1.2, "Aad": 12.3, "St_ad": 0.45, "Qgr_ad": 27.1}
    assert r.analyzer_time is not None
    assert r.analyzer_time.isoformat() == "2026-11-23T00:00:00+00:00"  # stored in UTC


def test_declared_unit_is_converted() -> None:
    data = frame("CGR", {"ID": "X1", "Qgr_ad": "6500", "U": "Qgr_ad:kcal/kg"})
    (r,) = results(data)
    assert r.indicators["Qgr_ad"] == pytest.approx(27.2142, abs=1e-4)


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_partial_reads_reassemble(chunk: int) -> None:
    (r,) = results(GOOD + GOOD.replace(b"SEQ=7", b"SEQ=8").replace(b"*", b"*"), chunk=chunk)[:1]
    assert r.sample_id == "S0007"


def test_bad_checksum_is_counted_not_reported() -> None:
    drv = AsciiAnalyzer("loop://")
    bad = GOOD.replace(b"Aad=12.30", b"Aad=12.31")
    assert results(bad, drv) == []
    assert drv.stats.errors["checksum"] == 1
    assert drv.dead_letters[-1]["kind"] == "checksum"


def test_missing_terminator_then_next_line() -> None:
    drv = AsciiAnalyzer("loop://")
    cut = GOOD[: len(GOOD) // 2]
    out = results(cut + GOOD, drv)
    assert [r.sample_id for r in out] == ["S0007"]
    assert drv.stats.errors["unterminated"] == 1


def test_oversized_line_dropped_and_framing_recovers() -> None:
    drv = AsciiAnalyzer("loop://")
    out = results(b"$CGR," + b"A" * 2000 + b"\r\n" + GOOD, drv)
    assert [r.sample_id for r in out] == ["S0007"]
    assert drv.stats.errors["oversized"] == 1


def test_noise_between_lines_ignored() -> None:
    out = results(b"\x00\xff garbage \r\n" + GOOD + b"#@!\n\n" + GOOD.replace(b"7", b"9"))
    assert out[0].sample_id == "S0007"


def test_duplicate_result_reported_once() -> None:
    assert len(results(GOOD + GOOD)) == 1


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"Aad": "12"}, "malformed"),  # no ID
        ({"ID": "A", "Aad": "x12"}, "malformed"),
        ({"ID": "A", "Aad": "nan"}, "malformed"),
        ({"ID": "A", "Qgr_ad": "25000"}, "decode"),  # J/g sent as MJ/kg
        ({"ID": "A", "Aad": "1", "TS": "yesterday"}, "malformed"),
        ({"ID": "A", "foo": "1"}, "malformed"),  # no indicator
    ],
)
def test_bad_content_refused(fields: dict[str, str], kind: str) -> None:
    drv = AsciiAnalyzer("loop://")
    assert results(frame("CGR", fields), drv) == []
    assert drv.stats.errors[kind] == 1


def _ids(n: int) -> st.SearchStrategy[str]:
    return st.from_regex(r"S[0-9]{4}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=80),
            st.tuples(_ids(0), st.floats(0, 40, allow_nan=False)),
        ),
        max_size=12,
    ),
    st.integers(1, 40),
)
def test_noise_never_raises_never_invents(parts: list, chunk: int) -> None:
    stream = b""
    sent: set[str] = set()
    for p in parts:
        if isinstance(p, bytes):
            stream += p
        else:
            sid, ash = p
            stream += frame("CGR", {"ID": sid, "Aad": f"{ash:.2f}"})
            sent.add(sid)
    drv = AsciiAnalyzer("loop://")
    out = results(stream, drv, chunk=chunk)
    for r in out:
        assert r.sample_id in sent
        assert 0 <= r.indicators["Aad"] <= 40


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_framer_bounded_on_any_bytes(data: bytes) -> None:
    f = LineFramer(max_line=64)
    for item in f.feed(data):
        raw = item.raw if isinstance(item, Reject) else item
        assert len(raw) <= 65
        if not isinstance(item, Reject):
            parse_line(item)  # never raises
