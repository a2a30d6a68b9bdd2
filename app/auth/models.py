"""Sign-in state: server-side sessions, personal API tokens and login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TokenScope(StrEnum):
    """What a token may do, within what its person may do: read (GET only), write (everything but
    administration), admin (everything the person's role allows)."""

    read = "read"
    write = "write"
    admin = "admin"


class ApiToken(SQLModel, table=True):
    """A personal API token, shown once at creation; stored as its SHA-256."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)  # first characters, so people can tell their tokens apart
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    scope: str = Field(default=TokenScope.admin, max_length=10, sa_column_kwargs={"server_default": "admin"})
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, counted per address and per account across all workers."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    ip: str = Field(max_length=64, index=True)
    account: str = Field(max_length=254, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
