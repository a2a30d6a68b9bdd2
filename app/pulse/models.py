"""Pulse rounds. Who answered and what was answered live in separate tables that cannot be joined.

`pulse_participation` says only that a person answered a round (to refuse a second answer).
`pulse_response` holds the answers with a random id, the team and department the person was in at
launch, and nothing else: no person, no time, no order. Answers first wait in `pulse_ballot` and
move to `pulse_response` in shuffled batches of at least the round's minimum group, so not even the
order of rows in the database follows the order of answering. Both ballot and response tables are
WITHOUT ROWID on SQLite, so their rows are stored in the order of their random ids.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, link_to, utcnow


def random_id() -> str:
    return uuid.uuid4().hex


class PulseSchedule(SQLModel, table=True):
    """Rounds that open by themselves (`portal worker`, `portal pulse tick`), monthly or quarterly,
    for the same teams; each launch copies the statements and k, as a round opened by hand does."""

    __tablename__ = "pulse_schedule"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=100)
    cadence: str = Field(max_length=10)  # monthly | quarterly
    team_ids: list[int] = Field(default_factory=list, sa_type=JSON)  # empty: every team
    open_days: int
    free_text: bool = Field(default=False)
    next_opens_on: date
    created_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why the last launch did not open a round (fewer than k people left in its teams), for leaders.
    last_problem: str = Field(default="", max_length=300)


class PulseRound(SQLModel, table=True):
    __tablename__ = "pulse_round"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    schedule_id: int | None = Field(
        default=None, foreign_key="pulse_schedule.id", index=True, ondelete="SET NULL"
    )
    opened_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closes_on: date
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Fixed at launch and shown to respondents (security.md R1, R2): never changed afterwards.
    min_group: int
    text_min_group: int
    free_text: bool = Field(default=False)
    # When the reminders went to those who had not answered: the round's days, never who or how many.
    reminded_halfway_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_last_day_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PulseItem(SQLModel, table=True):
    """A question of one round, copied from the catalogue at launch."""

    __tablename__ = "pulse_item"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="pulse_round.id", index=True, ondelete="CASCADE")
    position: int
    domain: str = Field(max_length=20)
    text: str = Field(max_length=300)


class PulseInvitation(SQLModel, table=True):
    """Who was asked, and in which team and department they were at launch (the snapshot)."""

    __tablename__ = "pulse_invitation"

    round_id: int = link_to("pulse_round")
    person_id: int = link_to("person")
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", ondelete="CASCADE")


class PulseParticipation(SQLModel, table=True):
    """That a person answered a round: nothing about what, and no time finer than the round."""

    __tablename__ = "pulse_participation"

    round_id: int = link_to("pulse_round")
    person_id: int = link_to("person")


class _AnswerRow(SQLModel):
    """What a ballot and a response hold: the round, the group the person was in at launch, the
    answers. Nothing about the person, and no time.

    The group is the smallest one that can ever be shown (`release.reporting_group`): the team if at
    least k of its people were invited, else only the department, else only the company. So a team
    of three never has its three answers marked as theirs, not even for someone reading the tables,
    and a manager of a small team counts in the department, not the team (security.md R10)."""

    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    round_id: int = Field(foreign_key="pulse_round.id", index=True, ondelete="CASCADE")
    team_id: int | None = None
    department_id: int | None = None
    answers: dict[str, int] = Field(sa_type=JSON)
    comment: str = Field(default="", max_length=2000)


class PulseBallot(_AnswerRow, table=True):
    """An answer waiting to be moved, with others, into pulse_response."""

    __tablename__ = "pulse_ballot"
    __table_args__ = {"sqlite_with_rowid": False}


class PulseResponse(_AnswerRow, table=True):
    """One person's answers to one round, unlinkable to them (security.md R3)."""

    __tablename__ = "pulse_response"
    __table_args__ = {"sqlite_with_rowid": False}


class PulseAction(SQLModel, table=True):
    """What a team does about a quality after a round: recorded by its lead or a leader, read by
    the team, listed on "What we are doing about it". It may become a proposal."""

    __tablename__ = "pulse_action"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="pulse_round.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    quality: str = Field(max_length=30)  # one of items.QUALITIES
    title: str = Field(max_length=200)
    due_on: date
    created_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id", ondelete="SET NULL")
