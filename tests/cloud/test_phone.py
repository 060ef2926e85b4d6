"""Phone numbers: one masking and one keyed hash for every caller (privacy.py)."""

from __future__ import annotations

import pytest

from coalguard.cloud import privacy, sealing
from coalguard.cloud.co import registry
from coalguard.cloud.privacy import hash_phone, mask_phone

MASKED = {
    "13812345678": "138****5678",
    "138-1234 5678": "138****5678",
    "+8613812345678": "861******5678",
    "03112345678": "031****5678",
    "12345678": "****5678",
    "1234567": "*******",
    "12345": "*****",
    "138****5678": "138****5678",
}


@pytest.mark.parametrize(("phone", "masked"), MASKED.items())
def test_phone_masking(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_a_seven_digit_phone_is_not_shown_in_full() -> None:
    """The response-model masking showed every digit of a seven-digit number."""
    assert not any(c.isdigit() for c in mask_phone("3112345"))


def test_phone_hash_does_not_depend_on_how_the_number_was_written() -> None:
    key = "k" * 32
    assert hash_phone("139-1234 5678", key=key) == hash_phone("13912345678", key=key)
    assert hash_phone("13912345678", key=key) != hash_phone("13912345678", key="other")


def test_the_co_registry_masks_and_hashes_with_the_one_policy() -> None:
    """Two copies with swapped arguments (key, phone) / (phone, key) could hash the wrong thing."""
    assert registry.mask_phone is privacy.mask_phone
    # The registry hashes through the keyring, which delegates to the one policy.
    assert sealing.hash_phone is privacy.hash_phone
