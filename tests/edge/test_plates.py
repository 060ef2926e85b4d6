"""One plate form for the gateway that reads plates and the cloud that lists them."""

from __future__ import annotations

import pytest

from coalguard.edge.plates import normalize_plate, plates_match

WRITINGS = {
    "冀A12345": "冀A12345",
    "冀a12345": "冀A12345",
    "冀A·12345": "冀A12345",
    "冀A 12345": "冀A12345",
    "冀A-123_45.": "冀A12345",
    " 冀a•12345\t": "冀A12345",
}


@pytest.mark.parametrize(("written", "plate"), WRITINGS.items())
def test_every_writing_of_a_plate_is_one_plate(written: str, plate: str) -> None:
    assert normalize_plate(written) == plate


def test_gateway_and_cloud_use_the_one_normalisation() -> None:
    """A second copy on either side could drift and a listed truck would miss its green lane."""
    from coalguard.cloud.api.routes import fastpass as fastpass_routes
    from coalguard.cloud.checks import fastpass as cloud_fast_pass
    from coalguard.gateway import cameras, workflow
    from coalguard.gateway import fastpass as gateway_fast_pass

    for user in (fastpass_routes, cloud_fast_pass, cameras, workflow, gateway_fast_pass):
        assert user.normalize_plate is normalize_plate, user.__name__


def test_a_one_character_misread_still_matches() -> None:
    assert plates_match("冀A1234B", "冀a·12348")
    assert not plates_match("冀A1239B", "冀A12349")
