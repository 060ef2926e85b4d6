"""Frames of the published manuals decode as the manuals say; bad frames are named."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from coalguard.drivers.weighbridge import Framer, Reading, Reject, parse_frame, resolve_format
from coalguard.drivers.weighbridge.frameformat import load_format
from coalguard.errors import DataFileError
from coalguard.simulators.weighbridge import encode

AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def _read(fmt_id: str, data: bytes, unit: str | None = None) -> list[Reading | Reject]:
    fmt = resolve_format(fmt_id)
    out: list[Reading | Reject] = []
    for item in Framer(fmt).feed(data):
        out.append(item if isinstance(item, Reject) else parse_frame(fmt, item, AT, unit))
    return out


def test_xk3190_reversed_frames_of_the_manual() -> None:
    # XK3190-A26 manual, continuous format 1: 3.000 -> "=000.3000", -1.00 -> "=00.1000-"
    a, b = _read("xk3190-eq", b"=000.3000=00.1000-", unit="t")
    assert isinstance(a, Reading) and (a.weight, a.kg, a.stable) == (Decimal("3.000"), 3000, None)
    assert isinstance(b, Reading) and b.weight == Decimal("-1.00") and b.kg == -1000


def test_xk3190_stx_frames_with_their_xor_check() -> None:
    # Frames captured from an A9+ (+001560, 0 decimals, check "19"; zero, check "1B").
    data = bytes.fromhex("022b30303135363030313903022b30303030303030314203")
    a, b = _read("xk3190-stx", data)
    assert isinstance(a, Reading) and a.kg == 1560
    assert isinstance(b, Reading) and b.kg == 0
    (bad,) = _read("xk3190-stx", b"\x02+001560019\x03".replace(b"19\x03", b"18\x03"))
    assert isinstance(bad, Reject) and bad.kind == "checksum"


def test_st_gs_lines_with_status_mode_sign_unit_and_overload() -> None:
    lines = b"ST,GS,+0012.340kg\r\nUS,NT,-   12.5 t\r\nOL,GS,--------kg\r\nST,GS, 0.0,kg\r\n"
    st, us, ol, comma = _read("st-gs", lines)
    assert isinstance(st, Reading) and (st.kg, st.stable, st.mode) == (
        Decimal("12.340"),
        True,
        "gross",
    )
    assert isinstance(us, Reading) and (us.kg, us.stable, us.mode) == (-12500, False, "net")
    assert isinstance(ol, Reading) and ol.overload and ol.weight is None and not ol.stable
    assert isinstance(comma, Reading) and comma.kg == 0


@pytest.mark.parametrize("fmt_id", ["st-gs", "xk3190-eq", "xk3190-stx"])
@pytest.mark.parametrize(
    ("kg", "unit", "decimals"), [(32040, "kg", 0), (-120, "kg", 0), (21000, "t", 3)]
)
def test_simulator_frames_read_back(fmt_id: str, kg: float, unit: str, decimals: int) -> None:
    fmt = resolve_format(fmt_id)
    (r,) = _read(fmt_id, encode(fmt, kg, stable=True, unit=unit, decimals=decimals), unit=unit)
    assert isinstance(r, Reading) and r.kg == Decimal(kg), r


def test_garbage_and_cut_frames_are_rejects_not_stops() -> None:
    out = _read("xk3190-eq", b"\xff\xfe=000.12=00000000=00.1000-")
    kinds = [o.kind if isinstance(o, Reject) else "reading" for o in out]
    assert kinds == ["garbage", "short_frame", "reading", "reading"]


def test_format_file_without_a_weight_group_is_refused_with_its_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'format = 1\nid = "bad"\ntitle = "x"\n[frame]\nend = "\\r\\n"\n'
        'pattern = "^(?P<sign>[+-])$"\n'
        '[encode]\ntemplate = "{sign}"\nwidth = 1\n'
    )
    with pytest.raises(DataFileError) as err:
        load_format(bad)
    assert "value" in str(err.value) and err.value.field is not None
