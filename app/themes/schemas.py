"""What the themes API answers (shared/design.md, "Themes")."""

from __future__ import annotations

from pydantic import BaseModel


class SentimentSplit(BaseModel):
    negative: int
    neutral: int
    positive: int


class ThemeRead(BaseModel):
    id: int
    url: str
    label: str
    terms: list[str]
    size: int
    growth: float  # against the previous 30 days: 1.0 = doubled
    recent: int  # feedback in the last 30 days
    sentiment: SentimentSplit
    departments: list[str]
    stages: list[str]
    covered_by_pain_point_ids: list[int]


class Quote(BaseModel):
    id: int
    text: str


class ThemeDetail(ThemeRead):
    feedback_ids: list[int]
    quotes: list[Quote]


class ThemeList(BaseModel):
    themes: list[ThemeRead]
    refreshed_at: str | None
