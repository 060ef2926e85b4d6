"""查扣 (R22): coal declared for a 禁煤区 village is held for seizure, by the pulled zone list."""

from __future__ import annotations

import json
from datetime import date

import pytest

from coalguard.edge.zonelist import ZonedVillage, ZoneList
from coalguard.gateway.errors import GatewayError, IllegalTransition
from coalguard.gateway.web.seizure_view import zone_list_text, zone_text
from coalguard.gateway.workflow import State
from tests.gateway.conftest import registration

NO_COAL = "130102001001"  # 东风村, in the 禁煤区
SEMI_COKE_OK = "130102001002"  # 西风村, a 禁煤区 that allows 兰炭
CLEARED_AREA = "130103"  # a whole county, 散煤清零区
OUTSIDE = "130104001001"


def zone_list() -> ZoneList:
    on, v = date(2026, 10, 1), "石家庄-2026-1"
    return ZoneList(
        version="zl-1",
        villages=[
            ZonedVillage(
                code=NO_COAL, name="东风村", kind="no_coal", published_on=on, list_version=v
            ),
            ZonedVillage(
                code=SEMI_COKE_OK,
                name="西风村",
                kind="no_coal",
                allowed_fuels=("semi_coke",),
                published_on=on,
                list_version=v,
            ),
            ZonedVillage(
                code=CLEARED_AREA, kind="loose_coal_cleared", published_on=on, list_version=v
            ),
        ],
    )


def registered(gw, village: str | None, coal_type: str = "anthracite", plate: str = "冀A12345"):
    wf = gw.workflow
    iid = wf.arrive(plate, "王五")
    data = registration(plate, coal_type=coal_type)
    if village is not None:
        data["destination_village"] = village
    wf.register(iid, "王五", data)
    return iid


def transitions(gw, iid: str) -> list[dict]:
    rows = gw.store.rows(
        "SELECT body FROM records WHERE kind = 'inspection.transition' ORDER BY born_at"
    )
    return [b for b in (json.loads(r["body"]) for r in rows) if b["inspection_id"] == iid]


def test_truck_of_loose_coal_bound_for_a_no_coal_village_is_held(gw):
    gw.zones.replace(zone_list())
    iid = registered(gw, "东风村")  # chosen by name from the pulled list
    insp = gw.workflow.get(iid)
    assert insp["zone"]["status"] == "held"
    assert insp["zone"]["village"] == NO_COAL
    # the truck is not let go: no fast pass, the step offered is the hold
    assert gw.workflow.next_actions(insp) == ["hold_for_seizure", "cancel"]
    with pytest.raises(IllegalTransition) as refused:
        gw.workflow.check_fast_pass(iid, "王五")
    assert "东风村" in refused.value.text("zh") and "查扣" in refused.value.text("zh")
    gw.workflow.hold_for_seizure(iid, "王五")
    insp = gw.workflow.get(iid)
    assert (insp["state"], insp["outcome"], insp["case_open"]) == (
        State.HELD,
        State.HELD,
        True,
    )
    text = zone_text(insp["zone"], "zh")
    assert "东风村" in text and "禁煤区" in text and "2026-10-01" in text
    register, held = transitions(gw, iid)[1:]
    assert register["schema_version"] == 3 and register["data"]["zone"]["status"] == "held"
    assert held["action"] == "hold_for_seizure" and held["to"] == "held_for_seizure"
    assert held["data"]["zone"] == {
        "status": "held",
        "village": NO_COAL,
        "name": "东风村",
        "kind": "no_coal",
        "published_on": "2026-10-01",
        "list_version": "石家庄-2026-1",
    }


def test_a_briquette_load_into_a_no_coal_village_is_held_too(gw):
    gw.zones.replace(zone_list())
    iid = registered(gw, NO_COAL, coal_type="briquette")  # typed as a code
    assert gw.workflow.get(iid)["zone"]["status"] == "held"


def test_a_fuel_the_zone_allows_is_not_held(gw):
    gw.zones.replace(zone_list())
    iid = registered(gw, "西风村", coal_type="semi_coke")
    assert gw.workflow.get(iid)["zone"]["status"] == "in_zone"
    assert gw.workflow.next_actions(gw.workflow.get(iid))[0] == "check_fast_pass"


def test_a_village_outside_every_zone_goes_the_usual_way(gw):
    gw.zones.replace(zone_list())
    iid = registered(gw, OUTSIDE)
    insp = gw.workflow.get(iid)
    assert insp["zone"]["status"] == "outside"
    assert "hold_for_seizure" not in gw.workflow.next_actions(insp)
    with pytest.raises(IllegalTransition):
        gw.workflow.hold_for_seizure(iid, "王五")
    assert gw.workflow.check_fast_pass(iid, "王五") is False
    assert gw.workflow.get(iid)["state"] == State.AWAITING_SAMPLE


def test_an_area_prefix_covers_its_villages_and_only_no_coal_zones_seize(gw):
    gw.zones.replace(zone_list())
    iid = registered(gw, CLEARED_AREA + "005007")
    zone = gw.workflow.get(iid)["zone"]
    assert (zone["status"], zone["kind"]) == ("in_zone", "loose_coal_cleared")


def test_without_a_zone_list_the_page_says_the_destination_is_not_checked(gw):
    iid = registered(gw, OUTSIDE)
    zone = gw.workflow.get(iid)["zone"]
    assert zone["status"] == "no_list"
    assert "未能核对" in zone_text(zone, "zh")
    assert "尚未" in zone_list_text(gw, "zh")


def test_a_name_not_on_the_list_is_refused_naming_it(gw):
    gw.zones.replace(zone_list())
    with pytest.raises(GatewayError) as refused:
        registered(gw, "南风村")
    assert "南风村" in refused.value.text("zh")


def test_the_list_version_and_age_are_shown(gw, clock):
    gw.zones.replace(zone_list())
    clock.advance(3 * 3600)
    text = zone_list_text(gw, "zh")
    assert "zl-1" in text and "3 小时" in text and "3 个" in text
