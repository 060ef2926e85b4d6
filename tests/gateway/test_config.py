"""Gateway config: one schema; a mistake names the file, the line and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coalguard.errors import DataFileError
from coalguard.gateway.config import GatewayConfig, load_config
from coalguard.i18n import t

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[checkpoint]
id = "cp-1"
name = "测试站"
region_code = "130100"
jurisdiction = "hebei-2022"

[storage]
data_dir = "data"

[fast_pass]
file = "fastpass.toml"

[[camera]]
id = "c1"
name = "入口"

[[camera]]
id = "c2"
name = "采样"

[[camera]]
id = "c3"
name = "出口"

[http]
camera_token = "cam-token-for-tests"
"""


def test_sample_config_in_deploy_loads_once_given_a_camera_token(tmp_path):
    sample = (ROOT / "deploy" / "gateway.toml").read_text(encoding="utf-8")
    as_shipped = tmp_path / "shipped.toml"
    as_shipped.write_text(sample, encoding="utf-8")
    with pytest.raises(DataFileError, match="camera_token is required"):
        load_config(as_shipped)  # refused until the installer sets a camera token
    filled = tmp_path / "gateway.toml"
    token = 'camera_token = "' + "k" * 32 + '"'
    filled.write_text(sample.replace('# camera_token = "<long random value>"', token), "utf-8")
    cfg = load_config(filled)
    assert len(cfg.cameras) >= 3 and cfg.retention.camera_days == 92


def test_sample_config_binds_loopback_not_every_interface():
    # Regression (issue 10 item 7): the sample bound 0.0.0.0, so any machine could post.
    cfg = load_config_text((ROOT / "deploy" / "gateway.toml").read_text(encoding="utf-8"))
    assert cfg.http.host == "127.0.0.1"


def test_relative_paths_resolve_next_to_the_file(tmp_path):
    p = tmp_path / "gw.toml"
    p.write_text(GOOD, encoding="utf-8")
    cfg = load_config(p)
    assert cfg.storage.data_dir == tmp_path / "data"
    assert cfg.fast_pass.file == tmp_path / "fastpass.toml"


@pytest.mark.parametrize(
    ("edit", "line", "field", "words"),
    [
        (
            ("[storage]", "[retention]\ncamera_days = 60\n\n[storage]"),
            9,
            "retention.camera_days",
            "至少保存 90 天",
        ),
        (('id = "c3"', 'id = "c1"'), None, None, "出现了两次"),
        (('name = "出口"', 'name = "出口"\nfps = 25'), 25, "camera.2.fps", "不允许此字段"),
        (
            ('name = "出口"', 'name = "出口"\nrole = "exit"\ncreates_arrival = true'),
            None,
            "camera.2",
            "creates_arrival 只用于入口摄像头",
        ),
        (
            ("[storage]", "[exit]\nreleased_within_minutes = 0\n\n[storage]"),
            9,
            "exit.released_within_minutes",
            "必须大于 0",
        ),
        (
            ('region_code = "130100"', 'region_code = "hebei"'),
            5,
            "checkpoint.region_code",
            "格式不符合要求",
        ),
    ],
)
def test_errors_name_file_line_and_field(tmp_path, edit, line, field, words):
    p = tmp_path / "gw.toml"
    p.write_text(GOOD.replace(*edit), encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        load_config(p)
    e = exc.value
    assert e.path == str(p) and words in e.reason
    if line:
        assert e.line == line
    if field:
        assert e.field == field


def test_fewer_than_three_cameras_is_refused(tmp_path):
    p = tmp_path / "gw.toml"
    p.write_text(GOOD.split("[[camera]]")[0] + '[[camera]]\nid = "c1"\nname = "x"\n', "utf-8")
    with pytest.raises(DataFileError, match="at least 3 cameras"):
        load_config(p)


def test_unknown_register_map_names_the_analyzer_line(tmp_path):
    p = tmp_path / "gw.toml"
    p.write_text(
        GOOD + '\n[[analyzer]]\nid = "a1"\nmodel = "no-such-map"\nport = "/dev/ttyUSB0"\n',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as exc:
        load_config(p)
    assert exc.value.field == "analyzer.0.model" and exc.value.line == 31
    assert "no-such-map" in exc.value.reason


def load_config_text(text: str) -> GatewayConfig:
    """The schema alone (no files), with a camera token filled in."""
    import tomllib

    data = tomllib.loads(text)
    data["http"]["camera_token"] = "k" * 32
    return GatewayConfig.model_validate(data)


ANALYZER = '\n[[analyzer]]\nid = "a1"\nmodel = "{model}"\nhost = "10.0.0.5"\ntransport = "tcp"\n'


def test_lane_names_only_configured_analyzers(tmp_path):
    p = tmp_path / "gw.toml"
    lane = '\n[[lane]]\nid = "lane-1"\nname = "1号道"\nanalyzers = ["a1", "a2"]\n'
    p.write_text(GOOD + ANALYZER.format(model="generic-tcp-int16") + lane, encoding="utf-8")
    with pytest.raises(DataFileError, match="lane 'lane-1' names analyzer 'a2'"):
        load_config(p)
    p.write_text(GOOD + ANALYZER.format(model="generic-tcp-int16") + lane.replace(', "a2"', ""))
    assert [ln.analyzers for ln in load_config(p).lanes] == [["a1"]]


def test_sample_id_must_fit_an_analyzer_that_carries_it(tmp_path):
    p = tmp_path / "gw.toml"
    long_id = GOOD.replace('id = "cp-1"', f'id = "{"x" * 20}"')
    p.write_text(long_id + ANALYZER.format(model="generic-tcp-keyed"), encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        load_config(p)
    assert exc.value.field == "analyzer.0.model"
    assert "keeps sample ids of 32 characters" in exc.value.reason
    p.write_text(GOOD + ANALYZER.format(model="generic-tcp-keyed"), encoding="utf-8")
    assert load_config(p).analyzers[0].model == "generic-tcp-keyed"


BARE_ANALYZER = '\n[[analyzer]]\nid = "a1"\nmodel = "generic-tcp-int16"\n'
# Each validator refusal of the config: (edit of GOOD, catalog key of its reason).
CONFIG_REFUSALS = [
    (("[storage]", '[cloud]\ntoken = "t"\ntoken_file = "t.txt"\n\n[storage]'), "token_twice"),
    (("[storage]", '[cloud]\nurl = "https://cloud.example"\n\n[storage]'), "url_needs_token"),
    (("[storage]", "[retention]\ncamera_days = 60\n\n[storage]"), "retention_days"),
    (("[storage]", BARE_ANALYZER + 'transport = "tcp"\n\n[storage]'), "tcp_needs_host"),
    (("[storage]", BARE_ANALYZER + "\n[storage]"), "serial_needs_port"),
    (('name = "出口"', 'name = "出口"\ncreates_arrival = true'), "arrival_at_entry"),
    (('id = "c3"', 'id = "c1"'), "id_twice"),
    (
        ("[storage]", '[[lane]]\nid = "l1"\nname = "一号"\nanalyzers = ["a9"]\n\n[storage]'),
        "lane_unknown_analyzer",
    ),
    (('camera_token = "cam-token-for-tests"', ""), "camera_token_required"),
]


@pytest.mark.parametrize(("edit", "key"), CONFIG_REFUSALS, ids=[k for _, k in CONFIG_REFUSALS])
def test_config_refusal_is_worded_from_the_catalog(tmp_path, edit, key):
    # Regression (issue 11): validators raised English ValueErrors, shown in Chinese as
    # "值无效：<English reason>".
    p = tmp_path / "gw.toml"
    p.write_text(GOOD.replace(*edit), encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        load_config(p)
    zh, en = exc.value.text("zh"), exc.value.text("en")
    assert "值无效" not in zh and "Value error" not in en
    head = {"zh": t(f"config_words.{key}", "zh"), "en": t(f"config_words.{key}", "en")}
    for lang, text in (("zh", zh), ("en", en)):
        assert head[lang].split("{")[0] in text, (lang, text)
    assert not re.search(r"[A-Za-z]+ [a-z]+ [a-z]+ [a-z]+", zh.replace(str(p), "")), zh


@pytest.mark.parametrize("module", ["gateway/config.py", "drivers/analyzer/regmap.py"])
def test_config_validators_raise_only_worded_errors(module):
    # A plain ValueError in a validator reaches a Chinese reader as English.
    source = (ROOT / "coalguard" / module).read_text(encoding="utf-8")
    assert not re.findall(r"raise (?:ValueError|InputError)\(", source)
