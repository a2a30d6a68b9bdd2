"""The search outbox: every change that must reach the index, written in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class SearchOutbox(SQLModel, table=True):
    __tablename__ = "search_outbox"

    id: int | None = Field(default=None, primary_key=True)
    entity_type: str = Field(max_length=32)
    entity_id: int
    op: str = Field(default="upsert", max_length=8)  # upsert | delete
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    attempts: int = Field(default=0)  # failed tries to index it (each batch's failure counts)
    last_error: str | None = Field(default=None, max_length=500)
