"""What ships in ``deploy/``: hardened systemd units, configuration the service user can
read, a lock file that covers the runtime dependencies, the offline wheelhouse script."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
MAX_EXPOSURE = 4.0
# Where the install commands are documented: each unit's header and the operations guide.
INSTALL_DOCS = [*UNITS, ROOT / "docs/operations.md"]


def unit_settings(unit: Path) -> dict[str, list[str]]:
    """``Key=value`` lines of a unit file (comments skipped), each key's values in order."""
    out: dict[str, list[str]] = {}
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_units_are_the_four_services() -> None:
    assert [u.name for u in UNITS] == [
        "coalguard-cloud-work.service",
        "coalguard-cloud.service",
        "coalguard-co-ingest.service",
        "coalguard-gateway.service",
    ]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_unit_exposure_is_at_most_4(unit: Path) -> None:
    """``systemd-analyze security --offline=yes``: the overall exposure of each unit."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (apt-get install -y systemd)")
    r = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    if found is None and "offline" in r.stderr:
        pytest.skip(f"this systemd-analyze has no --offline (needs systemd >= 250): {r.stderr}")
    assert found, r.stdout + r.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE, r.stdout


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_units_run_as_the_dedicated_user_with_the_hardening_set(unit: Path) -> None:
    s = unit_settings(unit)
    assert (s["User"], s["Group"]) == (["coalguard"], ["coalguard"])
    for key, value in {
        "NoNewPrivileges": "true",
        "ProtectSystem": "strict",
        "ProtectHome": "true",
        "PrivateTmp": "true",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "SystemCallArchitectures": "native",
    }.items():
        assert s.get(key) == [value], key
    assert "@system-service" in s["SystemCallFilter"]
    # strict: writable only where the unit says, which is its own state directory
    (state,) = s["StateDirectory"]
    assert s["ReadWritePaths"] == [f"/var/lib/{state}"]
    assert s.get("StandardOutput") == ["journal"]  # rotated by journald


INSTALL = re.compile(r"install\s+(?P<args>(?:-\S+\s+\S+\s+)*?)(?P<src>\S+)\s+(?P<dest>/\S+)$")


def install_lines() -> list[tuple[Path, str, dict[str, str], str]]:
    """(document, line, options, destination) of every documented ``install`` of a file
    or directory under /etc/coalguard."""
    out = []
    for doc in INSTALL_DOCS:
        for raw in doc.read_text().splitlines():
            line = raw.strip().lstrip("#").strip()
            if not line.startswith("install ") or "/etc/coalguard" not in line:
                continue
            words = line.split()
            opts: dict[str, str] = {}
            i = 1
            while i < len(words) and words[i].startswith("-"):
                if words[i] == "-d":
                    opts["-d"] = ""
                    i += 1
                else:
                    opts[words[i]] = words[i + 1]
                    i += 2
            out.append((doc, line, opts, words[-1]))
    return out


def test_installed_config_is_readable_by_the_service_user() -> None:
    """Regression: ``install -m 0640`` made /etc/coalguard/gateway.toml root:root 0640,
    unreadable by the ``coalguard`` user the unit runs as."""
    lines = install_lines()
    assert {doc.name for doc, *_ in lines} >= {u.name for u in UNITS} | {"operations.md"}
    groups = {g for u in UNITS for g in unit_settings(u)["Group"]}
    for doc, line, opts, _dest in lines:
        mode = int(opts.get("-m", "0755"), 8)
        where = f"{doc.name}: {line}"
        assert opts.get("-o") == "root", where  # the service cannot rewrite its own config
        assert opts.get("-g") in groups, where
        need = 0o050 if "-d" in opts else 0o040  # a directory also needs x to be entered
        assert mode & need == need, where
        assert mode & 0o007 == 0, where  # secrets inside: nobody else reads them


def test_every_file_a_unit_reads_from_etc_is_installed() -> None:
    installed = {dest for *_, dest in install_lines()}
    for unit in UNITS:
        text = unit.read_text()
        for path in set(re.findall(r"(/etc/coalguard/[\w.-]+)", text)):
            if "ConfigurationDirectory" in text and path == "/etc/coalguard":
                continue
            assert path in installed or path + "/" in installed, f"{unit.name}: {path}"


# -- the lock file and the offline wheelhouse -------------------------------------------


def locked() -> dict[str, str]:
    pins = {}
    for raw in (DEPLOY / "requirements.lock").read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = version
    return pins


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]]


def test_lock_pins_every_runtime_dependency_within_its_bounds() -> None:
    pins = locked()
    for req in runtime_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is not in deploy/requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req}: {pins[name]}"


def test_lock_holds_the_dependencies_of_what_it_locks() -> None:
    """Closed under dependencies (extras the project asks for included), judged from the
    installed metadata of every locked package installed here at its pinned version."""
    pins = locked()
    extras = {canonicalize_name(r.name): r.extras for r in runtime_requirements()}
    checked = 0
    for name, version in pins.items():
        try:
            if metadata.version(name) != version:
                continue
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        checked += 1
        for raw in requires:
            req = Requirement(raw)
            wanted = ["", *sorted(extras.get(name, ()))]
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in wanted):
                continue
            assert canonicalize_name(req.name) in pins, f"{name} needs {req}"
    assert checked >= len(pins) // 2, "too few locked packages installed here to judge"


def test_wheelhouse_script_builds_from_the_lock_and_installs_without_an_index(
    tmp_path: Path,
) -> None:
    """The commands, by ``--dry-run`` (a real build downloads 24 MB: measured by hand,
    docs/operations.md)."""
    script = DEPLOY / "wheelhouse.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    lock = str(DEPLOY / "requirements.lock")

    def dry(*args: str) -> list[list[str]]:
        r = subprocess.run(
            [str(script), "--dry-run", *args], capture_output=True, text=True, check=True
        )
        return [line.split() for line in r.stdout.splitlines()]

    wh = str(tmp_path / "wh")
    build = dry("build", wh)
    assert build == [
        ["python3", "-m", "pip", "download", "--only-binary=:all:", "--requirement", lock,
         "--dest", wh],
        ["python3", "-m", "pip", "wheel", "--no-deps", "--wheel-dir", wh, str(ROOT)],
    ]  # fmt: skip
    venv = str(tmp_path / "venv")
    install = dry("install", venv, wh)
    assert install[0] == ["python3", "-m", "venv", venv]
    for cmd in install[1:]:
        assert cmd[:4] == [f"{venv}/bin/python", "-m", "pip", "install"]
        assert "--no-index" in cmd and cmd[cmd.index("--find-links") + 1] == wh
    assert install[1][-2:] == ["--requirement", lock]
    assert install[2][-2:] == ["--no-deps", "coalguard"]
