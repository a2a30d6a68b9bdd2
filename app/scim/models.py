"""Provisioning tokens: what the company's directory (Entra ID, Okta) presents to /scim/v2."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class ScimToken(SQLModel, table=True):
    """A provisioning token, printed once by `portal scim-token create`; stored as its SHA-256.
    It speaks for no person: it may only provision people and teams, through /scim/v2."""

    __tablename__ = "scim_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)  # first characters, so admins can tell tokens apart
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
