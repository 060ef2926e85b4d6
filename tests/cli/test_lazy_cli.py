"""``coalguard`` imports only the sub-command group it runs (``coalguard/cli/lazy.py``).

Every group used to be imported at start: each ``coalguard`` process paid
~1.5 s for the cloud app, the simulators and pymodbus before doing anything.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from coalguard.cli.main import GROUPS
from coalguard.cli.main import app as cli
from coalguard.cli.sim import SIMULATORS

RUN_AND_LIST_MODULES = """
import sys
sys.argv = ["coalguard", *sys.argv[1:]]
from coalguard.cli.main import run
try:
    run()
except SystemExit:
    pass
print("\\n".join(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(done.stderr.split())


def test_a_gateway_command_imports_neither_the_cloud_app_nor_the_simulators() -> None:
    modules = _modules_after("gateway", "users", "--help")
    assert "coalguard.cli.gateway_users" in modules
    heavy = {"coalguard.cloud.app", "coalguard.cli.sim", "coalguard.cli.cloud", "pymodbus"}
    assert heavy & modules == set()


def test_a_simulator_imports_only_its_own_module() -> None:
    modules = _modules_after("sim", "camera", "--help")
    assert "coalguard.cli.sim_camera" in modules
    others = {m.split(":")[0] for n, m in SIMULATORS.items() if n != "camera"}
    assert others & modules == set()


def test_help_lists_every_group_in_order_and_a_typo_gets_a_suggestion() -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["--help"], env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    rows = shown.output.split("Commands", 1)[1]
    assert re.findall(r"^\W+ ([a-z-]+) ", rows, flags=re.M) == list(GROUPS)
    typo = runner.invoke(cli, ["gatway"])
    assert typo.exit_code == 2 and "Did you mean 'gateway'?" in typo.output


@pytest.mark.parametrize(
    "args", [[name] for name in GROUPS] + [["sim", name] for name in SIMULATORS]
)
def test_every_lazy_command_loads_and_shows_its_help(args: list[str]) -> None:
    shown = CliRunner().invoke(cli, [*args, "--help"])
    assert shown.exit_code == 0, shown.output
    assert f"coalguard {' '.join(args)}" in shown.output
