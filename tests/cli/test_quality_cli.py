"""The ``coalguard`` console script, run for real as a user would."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import COALGUARD

LX_RETEST = {"sample_id": "LX-002", "indicators": {"Mad": 2, "Aad": 24, "Vad": 9, "St_ad": 0.99}}


def cg(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [COALGUARD, *args], input=stdin, capture_output=True, text=True, timeout=60, env=env
    )


def test_verdict_json_from_stdin() -> None:
    r = cg(
        "verdict",
        "--profile",
        "linxia-2023/anthracite-2",
        "--json",
        "-",
        stdin=json.dumps(LX_RETEST),
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["overall"] == "retest"
    assert doc["profile_id"] == "linxia-2023/anthracite-2"
    assert {i["indicator"]: i["status"] for i in doc["indicators"]} == {
        "Vdaf": "retest",
        "St_d": "retest",
        "Ad": "pass",
    }


def test_verdict_table_is_chinese_by_default_and_english_on_request(tmp_path: Path) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(LX_RETEST), encoding="utf-8")
    zh = cg("verdict", "--profile", "linxia-2023/anthracite-2", str(f), env={"COLUMNS": "200"})
    assert zh.returncode == 0, zh.stderr
    assert "复检" in zh.stdout and "临夏市" in zh.stdout
    en = cg("verdict", "--profile", "linxia-2023/anthracite-2", "--lang", "en", str(f))
    assert "retest" in en.stdout and "复检" not in en.stdout


def test_failing_verdict_still_exits_zero() -> None:
    bad = {"sample_id": "F", "indicators": {"Mad": 1.5, "Ad": 35.0, "Vdaf": 20.0, "St_d": 2.0}}
    r = cg("verdict", "-p", "linxia-2023/anthracite-2", "--json", stdin=json.dumps(bad))
    assert r.returncode == 0
    assert json.loads(r.stdout)["overall"] == "fail"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["-p", "linxia-2023/anthracite-2"],
            '{"sample_id": "x", "indicators": {"Aad": -3}}',
            "negative",
        ),
        (
            ["-p", "linxia-2023/anthracite-2"],
            '{"sample_id": "x", "indicators": {"Aad": 130}}',
            "over 100",
        ),
        (
            ["-p", "linxia-2023/anthracite-2"],
            '{"sample_id": "x", "indicators": {"Mad": 60, "Aad": 45}}',
            "Mad \\+ Aad",
        ),
        (
            ["-p", "linxia-2023/anthracite-2"],
            '{"sample_id": "x", "indicators": {"Zad": 3}}',
            "unknown indicator",
        ),
        (["-p", "linxia-2023/anthracite-2"], '{"sample_id": "x"}', "field 'indicators'"),
        (["-p", "linxia-2023/anthracite-2"], "{not json", "not JSON"),
        (["-p", "no/such"], '{"sample_id": "x", "indicators": {}}', "unknown profile 'no/such'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_no_traceback(
    args: list[str], stdin: str, message: str
) -> None:
    r = cg("verdict", *args, stdin=stdin, env={**os.environ, "COALGUARD_LANG": "en"})
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    import re

    assert re.search(message, r.stderr), r.stderr


def test_bad_profile_directory_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text('id = "a/b"\ntitle = "t"\nversion = 3\n', encoding="utf-8")
    r = cg("profiles", "list", "--profiles", str(tmp_path))
    assert r.returncode == 2
    assert f"{tmp_path / 'p.toml'} 第 3 行，字段 version" in r.stderr
    assert "Traceback" not in r.stderr


def test_user_profile_directory_changes_the_verdict(tmp_path: Path) -> None:
    (tmp_path / "lenient.toml").write_text(
        'id = "linxia-2023/anthracite-2"\ntitle = "宽松"\nversion = "9"\nsource = "test"\n'
        'verified = true\ncoal_types = ["anthracite"]\n[[limit]]\nindicator = "Vdaf"\nmax = 20.0\n',
        encoding="utf-8",
    )
    args = ["verdict", "-p", "linxia-2023/anthracite-2", "--json"]
    before = json.loads(cg(*args, stdin=json.dumps(LX_RETEST)).stdout)
    after = json.loads(cg(*args, "--profiles", str(tmp_path), stdin=json.dumps(LX_RETEST)).stdout)
    assert before["overall"] == "retest"
    assert after["overall"] == "pass" and after["profile_version"] == "9"


def test_profiles_list_and_show() -> None:
    r = cg("profiles", "list", "--lang", "en", env={"COLUMNS": "250"})
    assert r.returncode == 0, r.stderr
    for pid in ("linxia-2023/anthracite-2", "gb34169-2017/anthracite-1", "national-2014/lignite"):
        assert pid in r.stdout
    r = cg("profiles", "show", "gb34169-2017/anthracite-1", "--json")
    doc = json.loads(r.stdout)
    assert doc["verified"] is False
    assert {lim["indicator"] for lim in doc["limit"]} == {"Ad", "Vdaf", "St_d", "Qnet_ar"}
    assert doc["origin"].endswith("gb34169-2017-anthracite-1.toml")


def test_demo_judges_the_bundled_examples() -> None:
    r = cg("demo", "--lang", "en", env={"COLUMNS": "200", "COALGUARD_DEMO_ONLY": "quality"})
    assert r.returncode == 0, r.stderr
    for sample_id, result in [
        ("HB-001", "pass"),
        ("HB-002", "fail"),
        ("HB-003", "retest"),
        ("LX-001", "pass"),
        ("LX-002", "retest"),
        ("LX-003", "fail"),
        ("NT-001", "pass"),
        ("HB-BQ-01", "no verified limits"),
    ]:
        assert f"Sample {sample_id} · Overall: {result}" in r.stdout
