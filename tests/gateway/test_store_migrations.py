"""The gateway database upgrades in place: ``PRAGMA user_version`` steps, one transaction each.

``testdata/gateway-6f8b32d.sql`` is a database made by the release before
versions existed (``Store`` + its outbox + ``Gateway.build``, as ``gateway
run`` does): three users, two with a page language in ``meta``, one inspection.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from coalguard.edge.outbox import JoinedOutbox
from coalguard.gateway import migrations
from coalguard.gateway.store import Store, StoreError
from coalguard.gateway.web.language import set_user_lang, user_lang

RELEASE_DUMP = Path(__file__).with_name("testdata") / "gateway-6f8b32d.sql"


def _release_db(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.executescript(RELEASE_DUMP.read_text(encoding="utf-8"))
    con.close()
    return path


def _open(path: Path) -> Store:
    """As the gateway opens its database: the store, then its outbox tables."""
    store = Store(path)
    JoinedOutbox(store).close()  # its tables stay; the owner lock goes
    return store


def _schema(store: Store) -> list[tuple[str, str, str]]:
    return [
        (r["type"], r["name"], r["sql"])
        for r in store.rows("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
    ]


def _rows(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    try:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall()) for n in names}
    finally:
        con.close()


def test_a_release_database_upgrades_to_what_a_fresh_one_is(tmp_path: Path) -> None:
    old = _release_db(tmp_path / "old.sqlite")
    before = _rows(old)
    upgraded = _open(old)
    fresh = _open(tmp_path / "fresh.sqlite")
    try:
        assert _schema(upgraded) == _schema(fresh)
        assert upgraded.scalar("PRAGMA user_version") == migrations.VERSION
        assert fresh.scalar("PRAGMA user_version") == migrations.VERSION
        # Data kept: every row of every table, the languages moved to users.lang.
        assert user_lang(upgraded, "zhang") == "en"
        assert user_lang(upgraded, "li") == "zh"
        assert user_lang(upgraded, "wang") is None
        assert upgraded.scalar("SELECT count(*) FROM meta WHERE key LIKE 'lang:%'") == 0
    finally:
        upgraded.close()
        fresh.close()
    after = _rows(old)
    assert set(after) >= set(before)  # later steps may add tables
    for table, rows in before.items():
        # Later steps may add columns (at the end): the old columns keep their values.
        width = len(rows[0]) if rows else 0
        kept = sorted(r[:width] for r in after[table])
        if table == "meta":
            assert kept == [r for r in rows if not r[0].startswith("lang:")]
        else:
            assert kept == rows, table
    # the sample binding step: sampled inspections keep their ids, bound results their bindings
    with sqlite3.connect(old) as con:
        assert (
            con.execute("SELECT count(*) FROM inspections WHERE sample IS NOT NULL").fetchone()[0]
            == con.execute(
                "SELECT count(*) FROM inspections WHERE sample_id IS NOT NULL"
            ).fetchone()[0]
        )
        bound = con.execute(
            "SELECT count(*) FROM analyzer_results WHERE inspection_id IS NOT NULL"
        ).fetchone()[0]
        live = con.execute(
            "SELECT count(*) FROM result_bindings WHERE unbound_at IS NULL"
        ).fetchone()[0]
        assert live == bound


def test_reopening_an_upgraded_database_changes_nothing(tmp_path: Path) -> None:
    path = _release_db(tmp_path / "g.sqlite")
    _open(path).close()
    once = _rows(path)
    store = _open(path)
    store.close()
    assert _rows(path) == once


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    Store(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {migrations.VERSION + 1}")
    con.close()
    with pytest.raises(
        StoreError,
        match=rf"g\.sqlite: gateway database schema version {migrations.VERSION + 1} is newer",
    ):
        Store(path)


def test_a_failing_step_leaves_the_database_at_the_version_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.sqlite"
    Store(path).close()

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half (x INTEGER)")
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, half_done))
    monkeypatch.setattr(migrations, "VERSION", migrations.VERSION + 1)
    with pytest.raises(StoreError, match="disk full"):
        Store(path)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == migrations.VERSION - 1
        assert (
            con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0
        )
    finally:
        con.close()


def test_the_page_language_is_a_users_column(tmp_path: Path) -> None:
    store = _open(_release_db(tmp_path / "g.sqlite"))
    try:
        set_user_lang(store, "wang", "en")
        assert store.scalar("SELECT lang FROM users WHERE username = 'wang'") == "en"
        assert user_lang(store, "wang") == "en"
    finally:
        store.close()
