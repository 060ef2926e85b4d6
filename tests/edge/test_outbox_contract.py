"""The outbox contract suite, run against every implementation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coalguard.edge.outbox import MemoryOutbox, Outbox
from tests.edge.outbox_contract import *  # noqa: F403

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["sqlite", "memory"])
def outbox_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        if request.param == "sqlite":
            ob = Outbox(tmp_path / f"outbox{len(made)}.sqlite", **kw)
        else:
            ob = MemoryOutbox(**kw)
        made.append(ob)
        return ob

    yield make
    for ob in made:
        ob.close()
