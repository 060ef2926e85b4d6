"""The locale catalogs: every message in both languages."""

from __future__ import annotations

from coalguard.i18n import LANGS, _catalog


def test_every_catalog_key_is_in_every_language() -> None:
    keys = {lang: set(_catalog(lang)) for lang in LANGS}
    for lang in LANGS:
        for other in LANGS:
            missing = sorted(keys[other] - keys[lang])
            assert missing == [], f"{lang} lacks {len(missing)} keys of {other}: {missing[:10]}"
