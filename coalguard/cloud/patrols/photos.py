"""Patrol photos: checked (size, image type by its leading bytes), stored once by SHA-256.

A phone sends the bytes as they are; the cloud trusts neither the declared type nor
the name: JPEG, PNG and WebP are known by their signatures, anything else is refused.
The same bytes uploaded twice are one row (content-addressed).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from coalguard.cloud.patrols.tables import PatrolPhoto
from coalguard.errors import WordedInputError

MAX_PHOTO_BYTES = 4 * 1024 * 1024  # a phone's JPEG at its usual quality fits
MIN_PHOTO_BYTES = 32


class PhotoRefused(WordedInputError):
    """A photo the cloud does not keep, worded from the ``[patrols]`` table."""

    def __init__(self, key: str, status: int, **params: object) -> None:
        super().__init__(f"patrols.{key}", **params)
        self.status = status  # the HTTP status a route answers with


def image_type(data: bytes) -> str | None:
    """The image's media type by its signature, or None when it is not a known image."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(data: bytes) -> str:
    """The photo's media type; ``PhotoRefused`` when too big, too small or not an image."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused("photo_too_large", 413, limit=MAX_PHOTO_BYTES)
    kind = image_type(data) if len(data) >= MIN_PHOTO_BYTES else None
    if kind is None:
        raise PhotoRefused("photo_not_image", 415)
    return kind


def store_photo(s: Session, data: bytes, region_code: str, who: str, at: datetime) -> PatrolPhoto:
    """Keep the photo (once per content); returns its row, the hash as its key."""
    kind = check_photo(data)
    digest = hashlib.sha256(data).hexdigest()
    row = s.get(PatrolPhoto, digest)
    if row is None:
        row = PatrolPhoto(
            sha256=digest,
            content_type=kind,
            size=len(data),
            data=data,
            region_code=region_code,
            uploaded_by=who,
            uploaded_at=at,
        )
        s.add(row)
        s.flush()
    return row
