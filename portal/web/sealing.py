"""Secrets the portal must read back (authenticator keys), sealed at rest with AES-256-GCM (R13).

A database dump or backup alone does not reveal a seed: the keys live in ``GUICHET_SEALING_KEYS`` (environment or
``_FILE``), outside the database. Each sealed value names the key that sealed it, so keys can be rotated: put the new
key first, keep the old ones after it until ``manage.py reseal`` has rewritten every value.

A value is also bound to a *context* (for a seed: the owner's account), authenticated with the ciphertext, so a seed
copied from one row to another no longer opens.
"""

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORMAT = "g1"  # version of the sealed format: g1$<key id>$<base64 nonce + ciphertext + tag>
NONCE_BYTES = 12


class SealBroken(Exception):
    """The value was sealed by a key we no longer have, or for another context, or was altered."""


@dataclass(frozen=True)
class SealingKey:
    key_id: str
    aead: AESGCM


def _key_id(raw: bytes) -> str:
    return hashlib.sha256(b"guichet-sealing-key-id" + raw).hexdigest()[:8]


@cache
def _keys() -> tuple[SealingKey, ...]:
    keys = []
    for encoded in settings.GUICHET_SEALING_KEYS:
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured("Each GUICHET_SEALING_KEYS entry must be 32 random bytes in base64.")
        keys.append(SealingKey(_key_id(raw), AESGCM(raw)))
    if not keys:
        raise ImproperlyConfigured("GUICHET_SEALING_KEYS is empty.")
    return tuple(keys)


def reset_key_cache() -> None:
    """Forget the parsed keys (after the setting changed: tests, key rotation in a running shell)."""
    _keys.cache_clear()


def seal(secret: bytes, *, context: str) -> str:
    key = _keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    box = nonce + key.aead.encrypt(nonce, secret, context.encode())
    return f"{FORMAT}${key.key_id}${base64.urlsafe_b64encode(box).decode()}"


def unseal(sealed: str, *, context: str) -> bytes:
    try:
        version, key_id, encoded = sealed.split("$")
        box = base64.urlsafe_b64decode(encoded)
    except ValueError as exc:
        raise SealBroken("not a sealed value") from exc
    key = next((k for k in _keys() if k.key_id == key_id), None)
    if version != FORMAT or key is None:
        raise SealBroken("sealed with an unknown key")
    try:
        return key.aead.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], context.encode())
    except InvalidTag as exc:
        raise SealBroken("altered, or sealed for another context") from exc


def is_sealed_with_current_key(sealed: str) -> bool:
    return sealed.startswith(f"{FORMAT}${_keys()[0].key_id}$")
