"""Messages people read, in Simplified Chinese (default) or English.

Catalogs are TOML files in ``coalguard/locale/``; a key is ``section.name``.
Code, logs and docs stay English; only what operators see goes through here.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
_DIR = Path(__file__).with_name("locale")


def default_lang() -> str:
    """``COALGUARD_LANG`` when set to a known language, else Chinese."""
    lang = os.environ.get("COALGUARD_LANG", DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


@lru_cache(maxsize=len(LANGS))
def _catalog(lang: str) -> dict[str, str]:
    data = tomllib.loads((_DIR / f"{lang}.toml").read_text(encoding="utf-8"))
    flat: dict[str, str] = {}
    for section, entries in data.items():
        for key, text in entries.items():
            flat[f"{section}.{key}"] = text
    return flat


def t(key: str, lang: str | None = None) -> str:
    """The message for ``key``; falls back to English, then to the key itself."""
    lang = lang or default_lang()
    return _catalog(lang).get(key) or _catalog("en").get(key) or key


def known(key: str) -> bool:
    """Whether a catalog has ``key`` (so a caller can fall back to a generic word)."""
    return any(key in _catalog(lang) for lang in LANGS)
