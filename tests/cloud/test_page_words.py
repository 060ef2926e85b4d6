"""Every word the cloud's templates ask for is in both catalogs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import coalguard.cloud
from coalguard.cloud.templating import TEMPLATES

CLOUD = Path(coalguard.cloud.__file__).parent
LOCALE = CLOUD.parent / "locale"
# t("dash.overview") in templates; Kpi("dash.kpi_critical", ...) in view models.
KEY = re.compile(r'(?:\bt|Kpi)\(\s*"([a-z_]+\.[a-z_.]+)"')


def _keys(lang: str) -> set[str]:
    data = tomllib.loads((LOCALE / f"{lang}.toml").read_text(encoding="utf-8"))
    return {f"{table}.{key}" for table, entries in data.items() for key in entries}


def test_every_key_the_cloud_pages_use_is_in_chinese_and_english() -> None:
    sources = [*TEMPLATES.rglob("*.html"), *TEMPLATES.rglob("*.svg"), *CLOUD.rglob("*.py")]
    used = {k for f in sources for k in KEY.findall(f.read_text(encoding="utf-8"))}
    assert len(used) > 80
    for lang in ("zh", "en"):
        have = _keys(lang)
        # "dash.sev_" ~ severity: a prefix; some key must start with it (Chromium checks the rest).
        missing = sorted(
            k
            for k in used
            if k not in have and not (k.endswith("_") and any(h.startswith(k) for h in have))
        )
        assert missing == [], f"{lang}.toml lacks {missing}"


def test_the_cloud_tables_have_the_same_keys_in_both_languages() -> None:
    zh, en = _keys("zh"), _keys("en")
    for table in ("state", "dash", "report", "alert_kind"):
        assert {k for k in zh if k.startswith(table + ".")} == {
            k for k in en if k.startswith(table + ".")
        }, table
