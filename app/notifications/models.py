"""Follows and in-app notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class Follow(SQLModel, table=True):
    """A person follows an insight, a proposal, a tag or a saved search (target_key holds the tag
    name or the search text; target_id the record id)."""

    __table_args__ = (
        UniqueConstraint("person_id", "target_type", "target_key", name="uq_follow_person_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    target_type: str = Field(max_length=16, index=True)  # insight | proposal | tag | search
    target_key: str = Field(max_length=200, index=True)  # "42", "late-delivery", "refund OR return"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    text: str = Field(max_length=500)
    url: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # When it went out by e-mail (instantly or in a digest): never twice.
    emailed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
