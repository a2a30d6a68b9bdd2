"""Secrets the portal must use again later (a webhook's signing secret, a Slack or Teams address,
which carries its own token), sealed at rest with a key derived from PORTAL_SECRET_KEY (Fernet:
AES-128-CBC with HMAC-SHA256, from `cryptography`). A database copy alone does not give them away.
Changing PORTAL_SECRET_KEY makes sealed values unreadable: the channels say so and need a new
secret or address (README, Integrations)."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.config import get_settings


class Unsealable(Exception):
    """A sealed value this portal's key cannot open (the secret key changed since)."""


@lru_cache(maxsize=4)
def _box(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"insight-loop sealed values v1")
    return Fernet(base64.urlsafe_b64encode(derived.derive(secret_key.encode())))


def seal(value: str) -> str:
    return _box(get_settings().resolved_secret_key()).encrypt(value.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _box(get_settings().resolved_secret_key()).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unsealable("sealed with another secret key") from None
