"""Shared fixtures. Tests that need a server start it themselves on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COALGUARD = str(Path(sys.executable).with_name("coalguard"))


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binary(name: str, package: str | None = None) -> str:
    """Path of a system binary the test needs.

    Under CI a missing binary fails the test loudly (CI must install it);
    on a developer machine it skips with the package to install.
    """
    path = shutil.which(name)
    if path:
        return path
    msg = f"{name} not installed (apt-get install -y {package or name})"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture
def coalguard_cmd() -> str:
    """Path of the real console script in the active environment."""
    return COALGUARD
