"""Password hashing (argon2id), the password policy, and random tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.errors import ValidationFailed

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # refused before hashing, so a huge password costs nothing

# Passwords that top every leaked-password list; refused whatever their length (ASVS 6.2.4).
_COMMON_PASSWORDS = frozenset(
    """123456789012 1234567890 12345678910 qwertyuiop 1q2w3e4r5t password123 password1234 passwordpassword
    iloveyou123 qwerty1234 abcdefghij 0123456789 1111111111 aaaaaaaaaa letmein123 welcome123 welcome2024
    welcome2025 welcome2026 changeme123 administrator admin12345 qwertyuiop123 football123 baseball123
    monkey12345 sunshine123 princess123 dragon12345 trustno1234 superman123 michael123 1qaz2wsx3edc
    zaq12wsx1234 passw0rd123 p@ssw0rd123 p@ssword123 summer2025 winter2025 spring2026 autumn2026
    insightloop insightloop1 insight-loop""".split()
)

# A fixed hash to verify against when the account does not exist, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def check_password_policy(password: str, *, email: str = "") -> None:
    """Raise ValidationFailed when the password is too weak; no composition rules (ASVS 6.2.5)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed({"password": f"Use at most {MAX_PASSWORD_LENGTH} characters."})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed({"password": f"Use at least {MIN_PASSWORD_LENGTH} characters."})
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or (email and lowered == email.lower()):
        raise ValidationFailed({"password": "This password is too common. Choose another."})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A 256-bit random token, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
