"""Ledgers (R8): append-only, hash-chained; edits and deletions are detected."""

from __future__ import annotations

import sqlite3

import pytest

from coalguard.errors import InputError
from tests.gateway.conftest import FAILING, drive_to_judged


def _fill(gw):
    gw.duty.duty("王五", "on_duty", "早班")
    drive_to_judged(gw, FAILING)
    gw.duty.duty("王五", "note", "分析仪预热完成")
    gw.duty.handover("王五", "赵六", "一切正常")


def test_clean_ledger_verifies(gw):
    _fill(gw)
    counts, problems = gw.ledger.verify()
    assert problems == []
    assert counts["duty"] == 2 and counts["handover"] == 1 and counts["sampling"] == 1
    assert counts["inspection"] == 6


def test_database_refuses_update_and_delete(gw):
    _fill(gw)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), gw.store.tx() as db:
        db.execute("UPDATE ledger SET operator = 'x' WHERE book = 'duty'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), gw.store.tx() as db:
        db.execute("DELETE FROM ledger WHERE book = 'duty'")


def _bypass(gw, sql: str, params=()) -> None:
    """What someone editing the file by hand could do: drop the guards, change a row."""
    with gw.store.tx() as db:
        db.execute("DROP TRIGGER ledger_no_update")
        db.execute("DROP TRIGGER ledger_no_delete")
        db.execute(sql, params)


def test_edited_entry_is_detected(gw):
    _fill(gw)
    _bypass(
        gw, "UPDATE ledger SET body = replace(body, '早班', '晚班') WHERE book='duty' AND seq=1"
    )
    _, problems = gw.ledger.verify()
    assert [(p.book, p.seq) for p in problems] == [("duty", 1)]
    assert "edited" in str(problems[0])


def test_edited_and_rehashed_entry_breaks_the_next_link(gw):
    _fill(gw)
    row = gw.store.row("SELECT * FROM ledger WHERE book='duty' AND seq=1")
    from coalguard.gateway.ledger import entry_hash

    body = row["body"].replace("早班", "晚班")
    h = entry_hash(
        "duty", 1, row["id"], row["at"], row["operator"], row["kind"], body, None, row["prev_hash"]
    )
    _bypass(gw, "UPDATE ledger SET body = ?, hash = ? WHERE book='duty' AND seq=1", (body, h))
    _, problems = gw.ledger.verify()
    assert [(p.book, p.seq) for p in problems] == [("duty", 2)]
    assert "link" in problems[0].message


def test_deleted_entry_is_detected(gw):
    _fill(gw)
    _bypass(gw, "DELETE FROM ledger WHERE book='inspection' AND seq=3")
    _, problems = gw.ledger.verify()
    assert any(p.book == "inspection" and "missing" in p.message for p in problems)
    assert any(p.book == "inspection" and "link" in p.message for p in problems)


def test_correction_is_a_new_entry_pointing_at_the_old(gw):
    first = gw.duty.duty("王五", "on_duty", "早班")
    fix = gw.ledger.correct(first.id, "王五", "写错班次", {"note": "中班"})
    assert fix.corrects == first.id and fix.seq == 2 and fix.prev_hash == first.hash
    entries = gw.ledger.entries("duty")
    assert [e.seq for e in entries] == [2, 1]
    assert entries[1].body["note"] == "早班"  # the old entry is untouched
    assert gw.ledger.verify()[1] == []
    with pytest.raises(InputError):
        gw.ledger.correct(first.id, "王五", "", {"note": "x"})
    with pytest.raises(InputError):
        gw.ledger.append("handover", "x", "王五", {}, corrects=first.id)


def test_handover_lists_what_is_handed_over(gw):
    iid = gw.workflow.arrive("冀A99999", "王五")
    entry = gw.duty.handover("王五", "赵六", "")
    assert entry.body["open_inspections"] == [{"id": iid, "plate": "冀A99999", "state": "arrived"}]
    devices = {d["device_id"] for d in entry.body["equipment"]}
    assert devices == {"cam-entry", "cam-sample", "cam-exit", "an-1"}
    with pytest.raises(Exception, match="oneself"):
        gw.duty.handover("王五", "王五")


def test_every_ledger_entry_goes_to_the_sink(gw):
    _fill(gw)
    total = sum(gw.ledger.verify()[0].values())
    assert gw.sink.kinds()["ledger.entry"] == total
