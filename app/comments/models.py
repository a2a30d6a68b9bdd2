"""Comments on insights and proposals, with one level of replies."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class Comment(SQLModel, table=True):
    __table_args__ = (Index("ix_comment_target", "target_type", "target_id"),)
    markdown_fields: ClassVar[tuple[str, ...]] = ("body",)

    id: int | None = Field(default=None, primary_key=True)
    target_type: str = Field(max_length=16)  # insight | proposal
    target_id: int
    author_id: int = Field(foreign_key="person.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    body: str = Field(sa_type=Text)
    # The HTML of the Markdown fields, stored when the record is written (app/core/markdown.py).
    rendered: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
