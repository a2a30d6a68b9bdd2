"""What people send about proposals and what the API answers: the request, form and answer shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StrictBool
from pydantic import Field as Check

from app.core.types import (
    DbId,
    FilterId,
    FilterPage,
    Line,
    QueryFilters,
    ShortFilter,
    Text,
    known_or_none,
    one_of_or,
    parse_id,
)
from app.proposals.models import ProposalStatus


class ProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Line = Check(min_length=5, max_length=200)
    problem: Text = Check(min_length=1, max_length=20_000)
    change: Text = Check(min_length=1, max_length=20_000)
    impact: Text = Check(default="", max_length=20_000)
    insight_ids: list[DbId] = Check(default_factory=list, max_length=50)
    department_ids: list[DbId] = Check(default_factory=list, max_length=20)
    anonymous: StrictBool = False  # JSON true or false only


class ProposalRead(BaseModel):
    id: int
    url: str
    title: str
    problem: str
    change: str
    impact: str
    status: ProposalStatus
    support_count: int
    insight_ids: list[int]
    departments: list[str]
    author: str | None  # None when anonymous
    anonymous: bool
    owner_team: str | None
    duplicate_of: int | None
    responses: list[dict[str, object]]
    created_at: datetime


class ProposalPage(BaseModel):
    total: int
    page: int
    items: list[ProposalRead]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: str = Check(max_length=20)
    response: Text = Check(default="", max_length=20_000)
    owner_team: DbId | Annotated[str, Check(max_length=120)] | None = None  # a team's id or name
    duplicate_of: DbId | None = None


class DecisionForm(BaseModel):
    """The decision form as posted (plain text); the decision itself is checked by the service."""

    status: str = Check(default="", max_length=20)
    response: str = Check(default="", max_length=20_000)
    owner_team: str = Check(default="", max_length=120)
    duplicate_of: str = Check(default="", max_length=200)  # the original's number, or words of its title
    confirm_merge: str = Check(default="", max_length=5)

    def decision(self) -> Decision:
        return Decision(
            status=self.status,
            response=self.response,
            owner_team=self.owner_team or None,
            duplicate_of=parse_id(self.duplicate_of),
        )


class SupportCount(BaseModel):
    support_count: int


SORTS = ("trending", "support", "newest")


class ListFilters(QueryFilters):
    """The proposal list's filters, read from its query string (the list page, its exports and the
    export API take it as `Annotated[ListFilters, Query()]`): a value that is not one we know
    means no filter."""

    status: Annotated[ProposalStatus | None, known_or_none(ProposalStatus)] = None
    department_id: FilterId = Check(default=None, alias="department")
    tag: ShortFilter = ""
    sort: Annotated[str, one_of_or(SORTS, "trending")] = "trending"
    page: FilterPage = 1
