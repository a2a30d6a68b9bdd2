"""Reach: who opened at least one insight on a day (one row per person per day, not per click)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, UniqueConstraint
from sqlmodel import Field, SQLModel


class InsightReach(SQLModel, table=True):
    __tablename__ = "insight_reach"
    __table_args__ = (UniqueConstraint("person_id", "day", name="uq_insight_reach_person_day"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    day: date = Field(sa_type=Date, index=True)
