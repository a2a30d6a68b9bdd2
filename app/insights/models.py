"""Customer insights: one record type with a kind (app/insights/kinds.py), plus stages, tags, evidence,
credits, attachments."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, enum_column, link_to, utcnow
from app.insights.kinds import Kind


class Status(StrEnum):
    published = "published"
    archived = "archived"


class Channel(StrEnum):
    survey = "survey"
    support_ticket = "support_ticket"
    interview = "interview"
    review = "review"
    social = "social"
    sales_call = "sales_call"
    other = "other"


class Sentiment(StrEnum):
    negative = "negative"
    neutral = "neutral"
    positive = "positive"


class ScoreScale(StrEnum):
    nps = "nps"  # 0-10
    rating = "rating"  # 1-5


class InsightBase(SQLModel):
    """The fields an insight has in the database and in the API's answers (InsightRead), written
    once. What people may send is checked by app/insights/schemas.py (InsightFields, InsightUpdate)."""

    kind: Kind = Field(sa_type=enum_column(Kind), index=True)
    status: Status = Field(default=Status.published, sa_type=enum_column(Status), index=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_type=Text)
    product_area: str = Field(default="", max_length=80, index=True)
    segment: str = Field(default="", max_length=80, index=True)
    # The department the insight concerns (e.g. a delivery complaint concerns Logistics).
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # feedback (quote also for success stories)
    quote: str = Field(default="", sa_type=Text)
    channel: Channel | None = Field(default=None, sa_type=enum_column(Channel))
    score: int | None = Field(default=None)
    score_scale: ScoreScale | None = Field(default=None, sa_type=enum_column(ScoreScale))
    sentiment: Sentiment | None = Field(default=None, sa_type=enum_column(Sentiment), index=True)
    external_id: str | None = Field(default=None, max_length=120)
    # For imported feedback: a hash of channel, day received and words (`imports.service.content_key`),
    # so a file imported again without a reference column is recognised instead of doubled.
    content_key: str | None = Field(default=None, max_length=40, index=True)
    received_at: date | None = Field(default=None, sa_type=Date)
    # pain point
    severity: int | None = Field(default=None)
    customers_affected: int | None = Field(default=None)
    # journey map
    persona: str = Field(default="", max_length=200)
    # persona
    goals: str = Field(default="", sa_type=Text)
    frustrations: str = Field(default="", sa_type=Text)
    quotes: list[str] = Field(default_factory=list, sa_type=JSON)


class Insight(InsightBase, table=True):
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_insight_channel_external_id"),
        # The lists' own order (newest first) within what they filter on: at 100,000 insights the
        # single-column indexes left SQLite sorting every published row for each page (30 ms),
        # these answer a page from the index (0.1 ms). tests/insights/test_query_plans.py pins it.
        Index("ix_insight_status_created_id", "status", "created_at", "id"),
        Index("ix_insight_kind_status_created_id", "kind", "status", "created_at", "id"),
        # The home page's newest insights for the person's department (migration 0018).
        Index("ix_insight_department_status_created_id", "department_id", "status", "created_at", "id"),
    )

    markdown_fields: ClassVar[tuple[str, ...]] = ("body", "goals", "frustrations")

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    # The HTML of the Markdown fields, stored when the record is written (app/core/markdown.py).
    rendered: str | None = Field(default=None, sa_type=Text)
    # Stages belong to insights and pain points point at stages: a cycle, so this key is added
    # after both tables exist (use_alter).
    journey_stage_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("journey_stage.id", use_alter=True, ondelete="SET NULL"),
            index=True,
            nullable=True,
        ),
    )


class Evidence(SQLModel, table=True):
    """A pain point rests on feedback: one row per (pain point, feedback) link."""

    pain_point_id: int = link_to("insight")
    feedback_id: int = link_to("insight", index=True)


class JourneyStage(SQLModel, table=True):
    __tablename__ = "journey_stage"

    id: int | None = Field(default=None, primary_key=True)
    journey_id: int = Field(foreign_key="insight.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    name: str = Field(max_length=120)
    goal: str = Field(default="", sa_type=Text)
    actions: str = Field(default="", sa_type=Text)
    touchpoints: str = Field(default="", sa_type=Text)
    thoughts: str = Field(default="", sa_type=Text)
    emotion: int = Field(default=0)  # -2 … +2
    opportunities: str = Field(default="", sa_type=Text)


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True, index=True)


class InsightTag(SQLModel, table=True):
    """An insight's tags: one row per (insight, tag)."""

    __tablename__ = "insight_tag"

    insight_id: int = link_to("insight")
    tag_id: int = link_to("tag", index=True)


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    insight_id: int = Field(foreign_key="insight.id", index=True, ondelete="CASCADE")
    uploader_id: int = Field(foreign_key="person.id")
    original_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=64, unique=True)  # random; the file's name on disk
    content_type: str = Field(max_length=80)
    size: int
    width: int | None = None
    height: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CreditedTeam(SQLModel, table=True):
    """A success story credits the teams that made it happen."""

    __tablename__ = "credited_team"

    insight_id: int = link_to("insight")
    team_id: int = link_to("team", index=True)
