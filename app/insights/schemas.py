"""What the insight API and forms accept and return."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from app.core.types import (
    DbId,
    FilterId,
    FilterPage,
    Lenient,
    Line,
    ListCursor,
    LongFilter,
    QueryFilters,
    ShortFilter,
    Text,
    every_field_optional,
    known_or_none,
    one_of_or,
)
from app.insights.models import Channel, InsightBase, Kind, ScoreScale, Sentiment, Status


class StageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=120)
    goal: Text = Field(default="", max_length=2000)
    actions: Text = Field(default="", max_length=2000)
    touchpoints: Text = Field(default="", max_length=2000)
    thoughts: Text = Field(default="", max_length=2000)
    emotion: int = Field(default=0, ge=-2, le=2)
    opportunities: Text = Field(default="", max_length=2000)


class StageRead(StageIn):
    id: int
    position: int
    pain_point_ids: list[int] = []


class InsightFields(BaseModel):
    """Every field a person can set; which apply depends on the kind."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Line = Field(min_length=1, max_length=200)
    body: Text = Field(default="", max_length=50_000)
    tags: list[Line] = Field(default_factory=list, max_length=20)
    product_area: Line = Field(default="", max_length=80)
    segment: Line = Field(default="", max_length=80)
    department_id: DbId | None = None
    # feedback
    quote: Text = Field(default="", max_length=50_000)  # long complaint narratives stay whole
    channel: Channel | None = None
    score: int | None = Field(default=None, ge=0, le=10)
    score_scale: ScoreScale | None = None
    sentiment: Sentiment | None = None
    external_id: Line | None = Field(default=None, max_length=120)
    received_at: date | None = None
    # pain point
    severity: int | None = Field(default=None, ge=1, le=4)
    customers_affected: int | None = Field(default=None, ge=0, le=1_000_000_000)
    journey_stage_id: DbId | None = None
    evidence_ids: list[DbId] = Field(default_factory=list, max_length=500)
    # journey map
    persona: Line = Field(default="", max_length=200)
    stages: list[StageIn] = Field(default_factory=list, max_length=40)
    # success story
    teams: list[Line] = Field(default_factory=list, max_length=50)
    proposal_ids: list[DbId] = Field(default_factory=list, max_length=100)
    # persona
    goals: Text = Field(default="", max_length=5000)
    frustrations: Text = Field(default="", max_length=5000)
    quotes: list[Text] = Field(default_factory=list, max_length=20)


class InsightCreate(InsightFields):
    kind: Kind


# PATCH takes the same fields, each optional: its checks apply to a value sent, never to None.
_InsightPatch = create_model(
    "_InsightPatch",
    __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
    **every_field_optional(InsightFields),
)


class InsightUpdate(_InsightPatch):
    """PATCH: only the fields sent change; the kind never does."""

    status: Status | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_only_where_clearable(cls, data: Any) -> Any:
        """null clears an optional value (a score, a sentiment); it cannot stand for a list or a text
        that always has a value: send [] or "" to empty those."""
        if isinstance(data, dict):
            refused = sorted(k for k, v in data.items() if v is None and k in NOT_NULLABLE)
            if refused:
                raise ValueError(
                    f"{', '.join(refused)} cannot be null: send an empty list or text to clear it"
                )
        return data


# The fields of InsightUpdate that always have a value (null is refused, see above): those an insight
# cannot leave empty of a value.
NOT_NULLABLE = frozenset(
    name for name, info in InsightFields.model_fields.items() if type(None) not in get_args(info.annotation)
) | {"status"}


class AttachmentRead(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class InsightRead(InsightBase):
    """An insight as the API answers: its own fields (InsightBase) and what links to it."""

    id: int
    url: str
    tags: list[str]
    department: str | None
    author: str
    journey_stage_id: int | None
    evidence_ids: list[int]
    stages: list[StageRead]
    teams: list[str]
    proposal_ids: list[int]
    attachments: list[AttachmentRead]


class InsightPage(BaseModel):
    total: int
    page: int
    items: list[InsightRead]


_ONLY_ARCHIVED = Lenient(
    lambda value: Status.archived if value == "archived" else None,
    "archived: list archived insights. Any other value means the published ones.",
)


class ListFilters(QueryFilters):
    """The insight list's filters, read from its query string (the list page, its exports and the
    export API take it as `Annotated[ListFilters, Query()]`): a value that is not one we know
    means no filter. Archived insights are listed only when asked for (status=archived)."""

    kind: Annotated[Kind | None, known_or_none(Kind)] = None
    tag: ShortFilter = ""
    department_id: FilterId = Field(default=None, alias="department")
    product_area: LongFilter = ""
    segment: LongFilter = ""
    sentiment: Annotated[str, one_of_or(Sentiment.__members__, "")] = ""
    status: Annotated[Status | None, _ONLY_ARCHIVED] = None
    page: FilterPage = 1
    # Next and Previous carry the position where the page they leave ends or starts, so a page
    # deep in 100,000 insights is read from the index there, not by skipping every row before it.
    after: ListCursor = ""
    before: ListCursor = ""
