"""One clock: only ``coalguard/edge/clock.py`` reads the time of day.

A service that reads the wall clock itself cannot be tested at a chosen time,
and a background loop doing so disagrees with the routes of its own process
(the cloud's sweeps once read ``datetime.now`` while its routes read the app's
clock). Waiting with ``time.monotonic()`` for a deadline is fine: it is not a
time of day.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coalguard"
CLOCK = PACKAGE / "edge" / "clock.py"
READS_THE_TIME = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today)\(")
# The cloud takes its Clock from the process (create_app, CoService, the CLI command):
# no module of it may fall back to the wall clock.
CLOUD = PACKAGE / "cloud"
CLOUD_WALL_CLOCK = re.compile(r"\butcnow\b|\btime\.time\(\)|\bSystemClock\(")
# Composition roots of the cloud: each builds the process's one SystemClock.
CLOUD_ROOTS = {CLOUD / "app.py", CLOUD / "co" / "service.py"}


def _offences(files: list[Path], pattern: re.Pattern[str]) -> list[str]:
    out = []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                out.append(f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()}")
    return out


def test_only_the_clock_reads_the_time() -> None:
    files = [p for p in PACKAGE.rglob("*.py") if p != CLOCK]
    assert _offences(files, READS_THE_TIME) == [], "read the time through edge/clock.py"


def test_the_cloud_reads_the_time_only_from_the_clock_it_is_given() -> None:
    files = [p for p in CLOUD.rglob("*.py") if p not in CLOUD_ROOTS]
    assert _offences(files, CLOUD_WALL_CLOCK) == [], "take a Clock (or a now) from the caller"


def test_the_guard_sees_a_wall_clock_read() -> None:
    assert READS_THE_TIME.search("    now = datetime.now(UTC)")
    assert READS_THE_TIME.search("today = date.today()")
    assert not READS_THE_TIME.search("deadline = time.monotonic() + 5")
    assert CLOUD_WALL_CLOCK.search("received = utcnow()")
