"""Personal data encrypted at rest: the one ``Keyring`` of the cloud (AES-256-GCM).

A sealed value is text ``cg1:<key id>:<base64url(nonce + ciphertext + tag)>``:
it names the key that sealed it, so several keys live side by side while a
rotation runs. The newest key (the last listed) seals; every listed key opens.
The associated data binds a value to its column (``table.column``), so a
sealed phone pasted into a name column does not open.

Keys come from a key file (``CloudSettings.sealing_key_file``, TOML, see
``docs/contacts.md``) or the environment (``COALGUARD_CLOUD_SEALING_KEYS``,
``id:base64,id:base64``). No key is shipped: tests and the demo use a
generated one. Look-ups never decrypt: a keyed hash (HMAC-SHA256 with the
separate ``phone_hash_key``, ``privacy.hash_phone``) sits beside each sealed
phone.

A table holding sealed columns lists them in ``__sealed__``; ``reseal`` moves
its rows to the newest key in batches (``coalguard cloud keys rotate``).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coalguard.cloud.privacy import hash_phone
from coalguard.errors import WordedInputError

if TYPE_CHECKING:  # the settings name the keys; sealing reads them once at start
    from coalguard.cloud.settings import CloudSettings

FORMAT = "cg1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
ENV = "COALGUARD_CLOUD_SEALING_KEYS"
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class SealingError(WordedInputError):
    """A key is missing, malformed or unknown, or a sealed value does not open."""

    section = "sealing"


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_key(key_id: str, secret: str, source: str) -> tuple[str, bytes]:
    """One ``(id, 32 bytes)`` from text; a worded error naming ``source`` otherwise."""
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise SealingError("key_id", source=source, key_id=repr(key_id))
    try:
        raw = _b64decode(secret.strip()) if isinstance(secret, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise SealingError("key_length", source=source, key_id=key_id, n=KEY_BYTES)
    return key_id, raw


@dataclass(frozen=True)
class Keyring:
    """Keys by id (insertion order: the last seals) and the phone look-up hash key."""

    keys: Mapping[str, bytes]
    hash_key: str
    generated: bool = False  # a throwaway key made for tests or the demo
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise SealingError("key_missing", env=ENV)
        for kid, raw in self.keys.items():
            self._aead[kid] = AESGCM(raw)

    def __repr__(self) -> str:  # never print key bytes
        return f"Keyring(ids={list(self.keys)}, current={self.current!r})"

    @property
    def current(self) -> str:
        """The id of the key that seals (the newest)."""
        return next(reversed(self.keys))

    @classmethod
    def generate(cls, hash_key: str, key_id: str = "generated") -> Keyring:
        """A keyring with one fresh random key: tests and the demo, never production."""
        return cls({key_id: AESGCM.generate_key(bit_length=256)}, hash_key, generated=True)

    def seal(self, plain: str, purpose: str) -> str:
        """``plain`` encrypted with the newest key, bound to ``purpose`` (``table.column``)."""
        kid = self.current
        nonce = os.urandom(NONCE_BYTES)
        ct = self._aead[kid].encrypt(nonce, plain.encode(), _aad(kid, purpose))
        return f"{FORMAT}:{kid}:{_b64encode(nonce + ct)}"

    def open(self, sealed: str, purpose: str) -> str:
        """The plain text of a sealed value; a worded error for an unknown key or tampering."""
        kid, body = _split(sealed)
        aead = self._aead.get(kid)
        if aead is None:
            raise SealingError("key_unknown", key_id=kid, env=ENV)
        try:
            raw = _b64decode(body)
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(kid, purpose))
        except (InvalidTag, binascii.Error, ValueError) as e:
            raise SealingError("sealed_broken", key_id=kid, purpose=purpose) from e
        return plain.decode()

    def sealed_with_current(self, sealed: str | None) -> bool:
        return sealed is None or sealed.startswith(f"{FORMAT}:{self.current}:")

    def phone_hash(self, phone: str) -> str:
        """The keyed hash a phone is looked up by (not encrypted: never reversed)."""
        return hash_phone(phone, key=self.hash_key)


def _aad(kid: str, purpose: str) -> bytes:
    return f"{FORMAT}:{kid}:{purpose}".encode()


def _split(sealed: str) -> tuple[str, str]:
    """(key id, body) of a sealed value."""
    parts = sealed.split(":", 2)
    if len(parts) != 3 or parts[0] != FORMAT:
        raise SealingError("sealed_format")
    return parts[1], parts[2]


# --- where keys come from ---------------------------------------------------------


def keys_from_env(text: str, source: str = ENV) -> dict[str, bytes]:
    """``id:base64,id:base64`` (the last seals)."""
    keys: dict[str, bytes] = {}
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        kid, sep, secret = item.partition(":")
        if not sep:
            raise SealingError("env_format", env=source)
        _add(keys, *parse_key(kid.strip(), secret, source), source)
    return keys


def keys_from_file(path: Path) -> dict[str, bytes]:
    """The ``[[key]]`` entries of a TOML key file (``id``, ``secret``; the last seals)."""
    source = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SealingError("file_missing", path=source) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SealingError("file_unreadable", path=source, reason=e.__class__.__name__) from None
    except tomllib.TOMLDecodeError as e:
        raise SealingError("file_format", path=source, detail=str(e)) from None
    entries = doc.get("key")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SealingError("file_no_keys", path=source)
    keys: dict[str, bytes] = {}
    for entry in entries:
        _add(keys, *parse_key(entry.get("id"), entry.get("secret"), source), source)
    return keys


def _add(keys: dict[str, bytes], kid: str, raw: bytes, source: str) -> None:
    if kid in keys:
        raise SealingError("key_duplicate", source=source, key_id=kid)
    keys[kid] = raw


def load_keyring(
    key_file: Path | None, env_keys: str | None, hash_key: str, *, generated_ok: bool
) -> Keyring:
    """The process's keyring: the key file, else the environment's keys; with neither,
    a generated throwaway key when ``generated_ok`` (tests, demo), else a worded error."""
    if key_file is not None:
        keys = keys_from_file(key_file)
        if env_keys:  # both: the file's keys plus the environment's (the env's last seals)
            for kid, raw in keys_from_env(env_keys).items():
                _add(keys, kid, raw, ENV)
    elif env_keys:
        keys = keys_from_env(env_keys)
    elif generated_ok:
        return Keyring.generate(hash_key)
    else:
        raise SealingError("key_missing", env=ENV)
    if not keys:
        raise SealingError("key_missing", env=ENV)
    return Keyring(keys, hash_key)


def keyring_of(settings: CloudSettings, *, generated_ok: bool) -> Keyring:
    """The keyring the cloud settings name (generated when none is set and allowed)."""
    keys = settings.sealing_keys
    env = keys.get_secret_value() if keys else None
    return load_keyring(
        settings.sealing_key_file, env, settings.co.phone_hash_key, generated_ok=generated_ok
    )


def new_key_id(now: datetime) -> str:
    """A key id that sorts by creation: ``k20261126T154900``."""
    return "k" + now.strftime("%Y%m%dT%H%M%S")


def add_key_to_file(path: Path, key_id: str) -> str:
    """Append a fresh random key ``key_id`` to ``path`` (created 0600 when absent); its id.

    The new key seals from the next process start; old keys keep opening until
    removed (only after ``coalguard cloud keys rotate`` reported nothing left)."""
    existing = keys_from_file(path) if path.exists() else {}
    kid = key_id
    while kid in existing:
        kid += "a"
    secret = _b64encode(secrets.token_bytes(KEY_BYTES))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        if not existing:
            f.write("# coalguard sealing keys: the last [[key]] seals, every key opens.\n")
        f.write(f'\n[[key]]\nid = "{kid}"\nsecret = "{secret}"\n')
    return kid


# --- rotation ---------------------------------------------------------------------


def sealed_columns(model: type) -> tuple[str, ...]:
    """The sealed columns a table declares (``__sealed__``)."""
    return tuple(getattr(model, "__sealed__", ()))


def purpose_of(model: type, column: str) -> str:
    return f"{model.__tablename__}.{column}"  # type: ignore[attr-defined]


def reseal(s: Session, model: type, keyring: Keyring, batch: int) -> int:
    """Re-encrypt up to ``batch`` rows of ``model`` not yet sealed with the newest key.

    Idempotent and resumable: a row is picked only while one of its sealed
    columns names an older key, so a killed run loses at most one uncommitted
    batch and the next run carries on. Returns how many rows were moved."""
    pk = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
    rows = list(s.scalars(select(model).where(_older(model, keyring)).order_by(pk).limit(batch)))
    for row in rows:
        for c in sealed_columns(model):
            value = getattr(row, c)
            if value is not None and not keyring.sealed_with_current(value):
                purpose = purpose_of(model, c)
                setattr(row, c, keyring.seal(keyring.open(value, purpose), purpose))
    return len(rows)


def count_older(s: Session, models: Iterable[type], keyring: Keyring) -> dict[str, int]:
    """Per table, rows still sealed with an older key (0 everywhere: old keys removable)."""
    return {
        model.__tablename__: s.scalar(  # type: ignore[attr-defined]
            select(func.count()).select_from(model).where(_older(model, keyring))
        )
        or 0
        for model in models
    }


def _older(model: type, keyring: Keyring) -> Any:
    """Rows with a sealed column naming a key other than the newest."""
    prefix = f"{FORMAT}:{keyring.current}:%"
    return or_(
        *(
            getattr(model, c).is_not(None) & getattr(model, c).not_like(prefix)
            for c in sealed_columns(model)
        )
    )


def sealed_models(base: Any) -> list[type]:
    """Every mapped table of ``base`` that declares sealed columns."""
    return sorted(
        (m.class_ for m in base.registry.mappers if sealed_columns(m.class_)),
        key=lambda m: m.__tablename__,
    )
