"""Two terminals, as a user runs them: `sim analyzer`, then `analyzer read`."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import COALGUARD, free_port
from tests.support.analyzer_sim import ENV, Sim
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def sims() -> Iterator[list[Sim]]:
    made: list[Sim] = []
    yield made
    for s in made:
        s.stop()


def read(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COALGUARD, "analyzer", "read", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


def test_rtu_two_terminals_with_judge(sims: list[Sim]) -> None:
    s = Sim("--map", "generic-rtu-float-cdab", "--rtu", "--period", "0", "--seed", "1")
    sims.append(s)
    assert s.where.startswith("/dev/pts/")
    out = read(
        "--map",
        "generic-rtu-float-cdab",
        "--port",
        s.where,
        "--judge",
        "gb34169-2017/anthracite-1",
        "--timeout",
        "0.5",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(doc["indicators"]) >= {"Mad", "Aad", "Vad", "St_ad", "Qgr_ad"}
    assert doc["device"]["unit_id"] == 1 and doc["sequence"] == 1
    assert doc["verdict"]["overall"] in {"pass", "fail", "retest", "incomplete"}
    assert doc["verdict"]["profile_id"] == "gb34169-2017/anthracite-1"


def test_tcp_two_terminals(sims: list[Sim]) -> None:
    port = free_port()
    s = Sim("--map", "generic-tcp-int16", "--tcp", f"127.0.0.1:{port}", "--period", "0")
    sims.append(s)
    out = read("--map", "generic-tcp-int16", "--port", f"tcp://127.0.0.1:{port}")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert "Vdaf" in doc["indicators"] and doc["device"]["port"] == f"tcp://127.0.0.1:{port}"


def test_scanned_sample_id_comes_back_with_the_result(sims: list[Sim]) -> None:
    port = free_port()
    s = Sim("--map", "generic-tcp-keyed", "--tcp", f"127.0.0.1:{port}", "--period", "0")
    sims.append(s)
    where = ("--map", "generic-tcp-keyed", "--port", f"tcp://127.0.0.1:{port}")
    first = json.loads(read(*where).stdout)  # nobody scanned a bag: the driver numbers it
    assert first["sample_id_from_device"] is False
    s.command("sample cp-1-20261126-007")
    s.command("new")
    doc = wait_for(
        lambda: (d := json.loads(read(*where).stdout))["sequence"] == 2 and d,
        30,
        what="the scanned sample's result",
        retry_errors=True,
    )
    assert doc["sample_id"] == "cp-1-20261126-007" and doc["sample_id_from_device"] is True


def test_ascii_two_terminals(sims: list[Sim], tmp_path: Path) -> None:
    link = tmp_path / "ttyAnalyzer"
    s = Sim("--map", "generic-rtu-float-cdab", "--ascii", "--period", "0", "--link", str(link))
    sims.append(s)
    assert s.where == str(link) and link.resolve().as_posix().startswith("/dev/pts/")
    out = read("--ascii", "--port", str(link), "--map", "generic-rtu-float-cdab")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["device"]["map_id"] == "ascii"


def test_watch_sees_new_results_and_runtime_faults(sims: list[Sim]) -> None:
    s = Sim("--map", "generic-rtu-float-cdab", "--rtu", "--period", "0")
    sims.append(s)
    reader = subprocess.Popen(
        [
            COALGUARD,
            "analyzer",
            "read",
            "--map",
            "generic-rtu-float-cdab",
            "--port",
            s.where,
            "--watch",
            "--interval",
            "0.1",
            "--timeout",
            "0.3",
            "--stats",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert reader.stdout is not None
        first = json.loads(reader.stdout.readline())
        s.command("faults no_response")
        s.command("new")  # produced while the analyzer is mute
        s.command("faults none")
        second = json.loads(reader.stdout.readline())
        assert second["sequence"] == first["sequence"] + 1
        s.command("new")
        third = json.loads(reader.stdout.readline())
        assert third["sequence"] == first["sequence"] + 2
    finally:
        reader.send_signal(signal.SIGINT)  # Ctrl-C: stats are printed on the way out
        _, err = reader.communicate(timeout=10)
    stats = json.loads(err.strip().splitlines()[-1])
    assert stats["results"] == 3


def test_dead_port_is_one_clear_line(tmp_path: Path) -> None:
    out = read(
        "--map",
        "generic-rtu-float-cdab",
        "--port",
        str(tmp_path / "nothing"),
        "--retries",
        "0",
        "--timeout",
        "0.2",
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and out.stderr.startswith("coalguard: error:")


def test_bad_map_file_is_refused_with_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'format = 1\nid = "x"\nversion = "1"\n[device]\nmanufacturer = "a"\n'
        'model = "b"\n[[field]]\nname = "s"\nrole = "sequence"\naddress = 0\n'
        'type = "uint16"\n[[field]]\nname = "q"\naddress = 1\nunit = "%"\n'
        'indicator = "Qgr_ad"\n',
        encoding="utf-8",
    )
    out = read("--map", str(bad), "--port", "tcp://127.0.0.1:1")
    assert out.returncode == 2
    assert f"{bad}, line 16, field 'field.1.indicator'" in out.stderr


def test_sim_refuses_two_transports() -> None:
    out = subprocess.run(
        [COALGUARD, "sim", "analyzer", "--map", "generic-tcp-int16", "--rtu", "--ascii"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert out.returncode == 2 and "exactly one" in out.stderr


def test_wait_helper_fails_loudly() -> None:
    with pytest.raises(AssertionError):
        wait_for(lambda: False, timeout=0.05)


def test_wrong_word_order_map_says_why(sims: list[Sim], tmp_path: Path) -> None:
    from coalguard.drivers.analyzer.regmap import MAPS_DIR

    text = (MAPS_DIR / "generic-rtu-float-cdab.toml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace('order = "CDAB"', 'order = "ABCD"'), encoding="utf-8")
    s = Sim("--map", "generic-rtu-float-cdab", "--rtu", "--period", "0", "--seed", "7")
    sims.append(s)
    out = read("--map", str(wrong), "--port", s.where)
    assert out.returncode == 2
    assert "word order" in out.stderr and "Traceback" not in out.stderr
