"""Improvement proposals, the insights they address, and the people who support them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, enum_column, link_to, utcnow


class ProposalStatus(StrEnum):
    new = "new"
    under_review = "under_review"
    accepted = "accepted"
    in_progress = "in_progress"
    done = "done"
    declined = "declined"
    duplicate = "duplicate"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Proposal(SQLModel, table=True):
    markdown_fields: ClassVar[tuple[str, ...]] = ("problem", "change", "impact")

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    problem: str = Field(default="", sa_type=Text)
    change: str = Field(default="", sa_type=Text)
    impact: str = Field(default="", sa_type=Text)
    # The HTML of the Markdown fields, stored when the record is written (app/core/markdown.py).
    rendered: str | None = Field(default=None, sa_type=Text)
    # Kept even for anonymous proposals, so the author still gets every answer; never shown to others.
    author_id: int = Field(foreign_key="person.id", index=True)
    is_anonymous: bool = Field(default=False)
    status: ProposalStatus = Field(
        default=ProposalStatus.new, sa_type=enum_column(ProposalStatus), index=True
    )
    support_count: int = Field(default=0, index=True)  # kept in step with the support table
    owner_team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    duplicate_of_id: int | None = Field(default=None, foreign_key="proposal.id")
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the leaders were told again that it waits past the response target, and when the admins
    # were told it waits past twice the target (each once; app/proposals/reminders.py).
    leaders_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_activity_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)

    def written_anonymously_by(self, person_id: int | None) -> bool:
        """Whether this is an anonymous proposal and `person_id` its author: the one person who must
        be warned before anything would put their name next to it (a comment, a support)."""
        return self.is_anonymous and person_id is not None and self.author_id == person_id


class ProposalInsight(SQLModel, table=True):
    """The insights (evidence) a proposal addresses."""

    __tablename__ = "proposal_insight"

    proposal_id: int = link_to("proposal")
    insight_id: int = link_to("insight", index=True)


class ProposalDepartment(SQLModel, table=True):
    """The departments a proposal affects."""

    __tablename__ = "proposal_department"

    proposal_id: int = link_to("proposal")
    department_id: int = link_to("department", index=True)


class Support(SQLModel, table=True):
    """One per person per proposal; the unique constraint makes simultaneous clicks count once."""

    __table_args__ = (UniqueConstraint("proposal_id", "person_id", name="uq_support_proposal_person"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ProposalResponse(SQLModel, table=True):
    """An official response: every status change carries one, shown to all as a timeline."""

    __tablename__ = "proposal_response"
    markdown_fields: ClassVar[tuple[str, ...]] = ("body",)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="person.id")
    from_status: ProposalStatus = Field(sa_type=enum_column(ProposalStatus))
    to_status: ProposalStatus = Field(sa_type=enum_column(ProposalStatus))
    body: str = Field(sa_type=Text)
    # The HTML of the Markdown fields, stored when the record is written (app/core/markdown.py).
    rendered: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProposalOutcome(SQLModel, table=True):
    """A success story names the done proposals it came from."""

    __tablename__ = "proposal_outcome"

    proposal_id: int = link_to("proposal")
    story_id: int = link_to("insight", index=True)
