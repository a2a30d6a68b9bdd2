"""Themes: groups of published feedback found by `portal worker` (app/themes/engine.py).

The database is the truth and themes are derived from it, like the search index: a refresh
replaces the members of every theme in one transaction. A theme keeps its id across refreshes
when most of its members stay together, so a link to it keeps working. What depends on the moment
(size under a filter, growth, sentiment, departments, stages, pain points covering it, archived
feedback) is counted when read, from the members and the insights they are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, link_to, utcnow


class Theme(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=200)
    terms: list[str] = Field(default_factory=list, sa_type=JSON)
    size: int = 0  # members at the last refresh (published feedback)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    refreshed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThemeMember(SQLModel, table=True):
    """A piece of feedback in a theme, with how close it is to the theme's centre (for quotes)."""

    __tablename__ = "theme_member"

    theme_id: int = link_to("theme")
    insight_id: int = link_to("insight", index=True)
    closeness: float = 0.0


class ThemeRun(SQLModel, table=True):
    """One refresh: when, over what, how long. The worker refreshes when the published feedback
    has changed since the last run (its fingerprint)."""

    __tablename__ = "theme_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seconds: float = 0.0
    feedback: int = 0
    themes: int = 0
    fingerprint: str = Field(default="", max_length=120)
