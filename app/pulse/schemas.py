"""What a leader sends to open a pulse round, what a person answers, and what the API answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

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
