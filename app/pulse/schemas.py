"""What a leader sends to open a pulse round, what a person answers, and what the API answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from app.core.models import utcnow
from app.core.types import DbId, Line, Text


def _after_today(day: date) -> date:
    if day <= utcnow().date():
        raise ValueError("Choose a closing date after today.")
    return day


class RoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Line = Field(min_length=3, max_length=120)
    # Checked with the other fields, so a form shows this beside a missing title, not after it.
    closes_on: Annotated[date, AfterValidator(_after_today)]
    team_ids: list[DbId] = Field(default_factory=list, max_length=500)  # empty: every team
    free_text: StrictBool = False


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Line = Field(min_length=3, max_length=100)
    cadence: Literal["monthly", "quarterly"]
    team_ids: list[DbId] = Field(default_factory=list, max_length=500)  # empty: every team
    open_days: int = Field(ge=2, le=60)
    first_opens_on: date
    free_text: StrictBool = False


class ScheduleRead(BaseModel):
    id: int
    title: str
    cadence: str
    team_ids: list[int]
    open_days: int
    free_text: bool
    next_opens_on: date | None  # None once stopped
    stopped: bool
    last_problem: str


class RoundSummary(BaseModel):
    id: int
    url: str
    title: str
    schedule_id: int | None
    status: str  # open | closed
    opened_on: date
    closes_on: date
    invited: bool  # the person asking was invited
    answered: bool  # ... and has answered


class RoundList(BaseModel):
    items: list[RoundSummary]


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    quality: str = Field(max_length=30)  # checked by the service, with a message that lists the four
    title: Line = Field(min_length=3, max_length=200)
    due_on: date


class ActionRead(BaseModel):
    id: int
    round_id: int
    team_id: int
    team: str
    quality: str
    quality_label: str
    title: str
    due_on: date
    done: bool
    done_at: date | None
    proposal_id: int | None
    # The team's score in this quality at the action's round and at the next round that asked the
    # team, with the change, each only where the same rules as the heat map let it be shown.
    score_then: float | None
    score_next: float | None
    change: float | None
    next_round_id: int | None


class ActionList(BaseModel):
    items: list[ActionRead]


class AnswersIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    answers: dict[int, int] = Field(max_length=50)
    comment: Text = Field(default="", max_length=2000)


class ItemRead(BaseModel):
    id: int
    domain: str
    domain_label: str
    text: str


class RoundRead(BaseModel):
    id: int
    url: str
    title: str
    status: str  # open | closed
    closes_on: date
    min_group: int
    text_min_group: int
    free_text: bool
    items: list[ItemRead]


class AnswerReceipt(BaseModel):
    status: str


class GroupRead(BaseModel):
    key: str
    kind: str
    name: str
    suppressed: bool
    reason: str
    participation_percent: int | None
    domains: dict[str, float] | None
    safety: float | None


class DistributionRead(BaseModel):
    item_id: int
    buckets: dict[int, int] | None
    reason: str


class ResultsRead(BaseModel):
    round_id: int
    released: bool
    closes_on: date
    min_group: int
    groups: list[GroupRead]
    distributions: list[DistributionRead]
    comments: list[str] | None
    comments_reason: str
