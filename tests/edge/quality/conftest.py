"""The quality tests match reasons in English (the catalog's Chinese is the default)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COALGUARD_LANG", "en")
