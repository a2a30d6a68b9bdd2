"""Per-person write events, counted in the database so a limit holds across every worker and node."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class WriteEvent(SQLModel, table=True):
    """One counted write (a comment, a proposal, a support, an upload). Pruned after two hours."""

    __tablename__ = "write_event"
    __table_args__ = (Index("ix_write_event_person_action_created", "person_id", "action", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    action: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
