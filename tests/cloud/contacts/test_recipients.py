"""Who an escalation reaches: the directory's read side, on real SQLite (and PostgreSQL once)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.contacts import contact_by_id, recipients
from coalguard.cloud.contacts.directory import ContactError, ContactIn, add_contact
from coalguard.cloud.contacts.rota import ShiftIn, add_shift
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.sealing import Keyring
from tests.cloud.ops_support import bearer, make_app, users

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
VILLAGE, TOWNSHIP, COUNTY = "130102001001", "130102001", "130102"
RING = Keyring.generate(hash_key="test-hash-key")


def _sessions(url: str) -> sessionmaker:
    engine = make_engine(url)
    create_schema(engine, for_tests_or_demo=True)
    return make_sessionmaker(engine)


def _household(s, device_id: str = "COA-1", phone: str = "13812345678") -> None:  # type: ignore[no-untyped-def]
    reg = Registration(
        device_id=device_id,
        household=Household(name="王家", address="1组3号", village_code=VILLAGE, phone=phone),
        installer_id="inst-1",
    )
    register(s, reg, RING, T0)


def _person(s, role: str, region: str, phone: str, name: str = "李四") -> int:  # type: ignore[no-untyped-def]
    c = ContactIn(role=role, region_code=region, name=name, phone=phone)
    return add_contact(s, RING, c, T0).id


def _reach(s, who: str, at: datetime = T0):  # type: ignore[no-untyped-def]
    return recipients(s, RING, who=who, device_id="COA-1", region_code=VILLAGE, at=at)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker:
    return _sessions(f"sqlite:///{tmp_path}/cloud.sqlite")


def test_every_step_of_the_chain_finds_its_people(sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        _household(s)
        son = ContactIn(
            role="household", device_id="COA-1", name="王二", phone="13900000002", relation="son"
        )
        add_contact(s, RING, son, T0)
        grid = _person(s, "grid_worker", VILLAGE, "13700000001")
        _person(s, "village_committee", VILLAGE, "13700000002")
        _person(s, "village_inspector", VILLAGE, "13700000003")
        _person(s, "grid_worker", "130102001002", "13700000009")  # the next village: not reached
        _person(s, "county_desk", COUNTY, "13600000001")
    with sessions() as s:
        house = _reach(s, "household")
        assert [(r.phone, r.who) for r in house] == [
            ("13812345678", "household"),
            ("13900000002", "household"),
        ]
        assert house[0].name == "王家" and house[0].phone_masked == "138****5678"
        assert [r.contact_id for r in _reach(s, "grid_worker")] == [grid]
        assert [r.phone for r in _reach(s, "village_committee")] == ["13700000002"]
        assert [r.phone for r in _reach(s, "village_inspector")] == ["13700000003"]
        desk = _reach(s, "county_desk")
        assert [(r.phone, r.region_code) for r in desk] == [("13600000001", COUNTY)]
        again = contact_by_id(s, RING, grid)
        assert again is not None and again.phone == "13700000001" and again.who == "grid_worker"
        assert contact_by_id(s, RING, 9999) is None
        assert "13700000001" not in repr(again) and "李四" not in repr(again)


def test_the_township_officer_on_duty_is_reached_else_every_officer(
    sessions: sessionmaker, caplog: pytest.LogCaptureFixture
) -> None:
    with sessions.begin() as s:
        _household(s)
        day = _person(s, "township_duty", TOWNSHIP, "13500000001", "日班")
        night = _person(s, "township_duty", TOWNSHIP, "13500000002", "夜班")
        add_shift(s, ShiftIn(contact_id=day, starts_at=T0, ends_at=T0 + timedelta(hours=12)), T0)
        add_shift(
            s,
            ShiftIn(
                contact_id=night,
                starts_at=T0 + timedelta(hours=12),
                ends_at=T0 + timedelta(hours=24),
            ),
            T0,
        )
    with sessions() as s:
        assert [r.contact_id for r in _reach(s, "township_on_call", T0)] == [day]
        at_night = _reach(s, "township_on_call", T0 + timedelta(hours=12))
        assert [(r.contact_id, r.rostered) for r in at_night] == [(night, True)]
        nobody = _reach(s, "township_on_call", T0 + timedelta(days=2))
        assert [(r.contact_id, r.rostered) for r in nobody] == [(day, False), (night, False)]
        assert "nobody rostered in township 130102001" in caplog.text
        assert "13500000001" not in caplog.text


def test_overlapping_shifts_of_one_officer_are_refused(sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        officer = _person(s, "township_duty", TOWNSHIP, "13500000001")
        add_shift(s, ShiftIn(contact_id=officer, starts_at=T0, ends_at=T0 + timedelta(hours=8)), T0)
        with pytest.raises(ContactError) as e:
            add_shift(
                s,
                ShiftIn(
                    contact_id=officer,
                    starts_at=T0 + timedelta(hours=7),
                    ends_at=T0 + timedelta(hours=9),
                ),
                T0,
            )
        assert e.value.key == "shift_overlap"


def test_a_household_has_at_most_three_active_contacts(sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        _household(s)
        for n in (2, 3):
            add_contact(s, RING, ContactIn(role="household", device_id="COA-1", name=f"家人{n}",
                                           phone=f"1390000000{n}"), T0)  # fmt: skip
        with pytest.raises(ContactError) as e:
            add_contact(s, RING, ContactIn(role="household", device_id="COA-1", name="第四",
                                           phone="13900000004"), T0)  # fmt: skip
        assert e.value.key == "household_full" and "3" in str(e.value)


def test_a_role_in_the_wrong_kind_of_region_is_refused(sessions: sessionmaker) -> None:
    with sessions.begin() as s, pytest.raises(ContactError) as e:
        _person(s, "township_duty", VILLAGE, "13500000001")
    assert e.value.key == "unknown_region"


def test_recipients_on_postgresql(pg_server) -> None:  # type: ignore[no-untyped-def]
    sessions = _sessions(pg_server.new_database())
    with sessions.begin() as s:
        _household(s)
        officer = _person(s, "township_duty", TOWNSHIP, "13500000001")
        add_shift(s, ShiftIn(contact_id=officer, starts_at=T0, ends_at=T0 + timedelta(hours=1)), T0)
    with sessions() as s:
        assert [r.phone for r in _reach(s, "household")] == ["13812345678"]
        assert [r.rostered for r in _reach(s, "township_on_call", T0)] == [True]


def test_escalation_has_a_phone_to_call(tmp_path: Path) -> None:
    """Before: a registered household's phone was kept only as a hash and a masked form, so
    nothing downstream could call anyone. Now it is sealed: it opens for sending, and the
    digits are nowhere in the database file."""
    db = tmp_path / "cloud.sqlite"
    app = make_app(f"sqlite:///{db}")
    from fastapi.testclient import TestClient

    tokens = users(app)
    body = {
        "device_id": "COA-7",
        "household": {"name": "张家", "address": "2组5号", "village_code": VILLAGE,
                      "phone": "139-1299 1172"},
        "installer_id": "inst-1",
    }  # fmt: skip
    with TestClient(app) as c:
        r = c.post("/api/v1/co/devices", json=body, headers=bearer(tokens["installer"]))
        assert r.status_code == 201, r.text
    with app.state.sessions() as s:
        found = recipients(
            s, app.state.keyring, who="household", device_id="COA-7", region_code=VILLAGE, at=T0
        )
    assert [(r.phone, r.phone_masked, r.name) for r in found] == [
        ("13912991172", "139****1172", "张家")
    ]
    app.state.engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("cloud.sqlite*"))
    assert b"COA-7" in stored  # the scan reads the rows
    for digits in ("13912991172", "139-1299 1172", "12991172"):
        assert digits.encode() not in stored


def test_an_alarm_bound_to_a_new_household_does_not_call_the_old_one(
    sessions: sessionmaker,
) -> None:
    """Re-registering an alarm to another household's phone stops reaching the old
    household's relatives; registering the same household again keeps them."""
    with sessions.begin() as s:
        _household(s, phone="13812345678")
        son = ContactIn(role="household", device_id="COA-1", name="王二", phone="13900000002")
        add_contact(s, RING, son, T0)
        _household(s, phone="13812345678")  # the same household, registered again
    with sessions() as s:
        assert [r.phone for r in _reach(s, "household")] == ["13812345678", "13900000002"]
    with sessions.begin() as s:
        _household(s, phone="13611112222")  # the alarm now belongs to another household
    with sessions() as s:
        assert [r.phone for r in _reach(s, "household")] == ["13611112222"]


@pytest.mark.parametrize(
    "module",
    [
        "coalguard.cloud.contacts",
        "coalguard.cloud.contacts.tables",
        "coalguard.cloud.contacts.importer",
    ],
)
def test_the_directory_imports_first_without_a_cycle(module: str) -> None:
    """``cloud.co``'s package imports its notifier, which reads the directory: a script
    importing the directory first (before ``cloud.co``) failed with a circular import."""
    r = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-500:]
