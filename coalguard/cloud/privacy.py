"""Personal data: masked in every response and export unless the caller may see it.

Which values are personal is decided here once (driver names, phone numbers,
ID-card numbers from the five-part form, household names), and so is who sees
them unmasked (``Operator.sees_personal_data``: admins and users granted it).
Response models declare their personal fields with ``PersonName`` / ``Phone``
/ ``IdCard`` and are serialized with ``for_caller``: masked unless the caller
may see them, masked too when no caller is given. Free-form documents (records
from the gateways) go through ``redact``, which knows the personal keys. Values
that are only needed for matching are kept as a keyed hash (HMAC-SHA256).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from pydantic import BaseModel, PlainSerializer, SerializationInfo

PHONE_KEYS = frozenset({"phone", "mobile", "driver_phone", "contact_phone"})
ID_CARD_KEYS = frozenset({"id_card", "id_card_no", "driver_id_card", "identity_no"})
NAME_KEYS = frozenset({"driver", "driver_name", "household_name", "owner_name"})
PERSONAL_KEYS = PHONE_KEYS | ID_CARD_KEYS | NAME_KEYS


def normalize_phone(value: str) -> str:
    """The one stored form of a phone number: ``139-1234 5678`` -> ``13912345678``."""
    return value.strip().replace(" ", "").replace("-", "")


def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678``; an already masked number stays as it is.

    At least half the digits are hidden: the first three show only from eleven
    digits (a mobile number), the last four from eight; shorter ones not at all.
    """
    if "*" in value:
        return value
    digits = "".join(c for c in value if c in "0123456789")
    n = len(digits)
    head = digits[:3] if n >= 11 else ""
    tail = digits[-4:] if n >= 8 else ""
    return f"{head}{'*' * (n - len(head) - len(tail))}{tail}"


def mask_id_card(value: str) -> str:
    """18-character resident ID: keep the first 6 (region) and the last 2."""
    v = value.strip()
    if len(v) <= 8:
        return "*" * len(v)
    return f"{v[:6]}{'*' * (len(v) - 8)}{v[-2:]}"


def mask_name(value: str) -> str:
    """``王小明`` -> ``王**``; one character stays so the desk can still address them."""
    v = value.strip()
    return v[:1] + "*" * max(len(v) - 1, 1) if v else v


def mask_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    if key in PHONE_KEYS:
        return mask_phone(value)
    if key in ID_CARD_KEYS:
        return mask_id_card(value)
    if key in NAME_KEYS:
        return mask_name(value)
    return value


def redact(doc: Any, allowed: bool) -> Any:
    """A copy of ``doc`` with every personal value masked (unchanged when ``allowed``)."""
    if allowed:
        return doc
    if isinstance(doc, dict):
        return {
            k: mask_value(k, v) if k in PERSONAL_KEYS else redact(v, False) for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [redact(v, False) for v in doc]
    return doc


_UNMASKED = "personal_data"


def _masked_by(mask: Any) -> PlainSerializer:
    def serialize(value: str | None, info: SerializationInfo) -> str | None:
        if value is None or (info.context or {}).get(_UNMASKED) is True:
            return value
        return mask(value)

    return PlainSerializer(serialize, return_type=str | None)


# A field of a response model holding a person's name, phone or ID-card number.
PersonName = Annotated[str | None, _masked_by(mask_name)]
Phone = Annotated[str | None, _masked_by(mask_phone)]
IdCard = Annotated[str | None, _masked_by(mask_id_card)]


def for_caller(model: BaseModel, sees_personal_data: bool) -> dict[str, Any]:
    """``model`` as JSON-ready data, personal fields masked unless the caller may see them."""
    return model.model_dump(mode="json", context={_UNMASKED: sees_personal_data})


def keyed_hash(value: str, *, key: str) -> str:
    """HMAC-SHA256 of a personal value, for matching without keeping it (``key`` by name:
    swapping the two arguments would still give a hash, of the wrong thing)."""
    return hmac.new(key.encode(), value.strip().encode(), hashlib.sha256).hexdigest()


def hash_phone(phone: str, *, key: str) -> str:
    """The keyed hash a household is found by; any writing of one number gives one hash."""
    return keyed_hash(normalize_phone(phone), key=key)
