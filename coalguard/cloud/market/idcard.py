"""Resident ID numbers (GB 11643-1999): check digit, region, birth date.

A sale's buyer is registered by real name (R12); a mistyped ID number would
defeat the household quota and the zone check, so the clerk's form refuses it
at once, worded: which part is wrong. Pure: no database, no clock (the caller
passes today's local date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coalguard.errors import WordedValueError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # sum of weighted digits mod 11 -> check character
# Province-level codes of GB/T 2260 (the first two digits of every region code).
PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82",
    }
)  # fmt: skip
EARLIEST_BIRTH = date(1900, 1, 1)


class IdCardError(WordedValueError):
    """An ID number the form refuses, with the part that is wrong."""

    section = "market_sales"


@dataclass(frozen=True)
class IdCard:
    """A checked ID number: its canonical form (upper-case X) and what it states."""

    number: str
    region: str
    birth: date
    male: bool


def check_digit(first17: str) -> str:
    """The 18th character that GB 11643 computes from the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(value: str) -> str:
    """The stored form: spaces dropped, ``x`` upper-cased."""
    return "".join(value.split()).upper()


def parse_id_card(value: str, today: date) -> IdCard:
    """The ID number checked (length, digits, region, birth date, check digit) or an
    ``IdCardError`` naming what is wrong."""
    n = normalize(value)
    if len(n) != 18:
        raise IdCardError("id_length", length=len(n))
    if not n[:17].isascii() or not n[:17].isdigit() or n[17] not in "0123456789X":
        raise IdCardError("id_characters")
    if n[:2] not in PROVINCES or n[2:6] == "0000":
        raise IdCardError("id_region", region=n[:6])
    try:
        birth = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise IdCardError("id_birth", birth=n[6:14]) from None
    if not EARLIEST_BIRTH <= birth <= today:
        raise IdCardError("id_birth", birth=n[6:14])
    if check_digit(n[:17]) != n[17]:
        raise IdCardError("id_check_digit")
    return IdCard(number=n, region=n[:6], birth=birth, male=int(n[16]) % 2 == 1)
