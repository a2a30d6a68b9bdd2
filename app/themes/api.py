"""JSON API for themes (shared/design.md): list with filters, one with its feedback, a pain point."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.core.errors import ValidationFailed
from app.core.types import PathId, QueryId
from app.flows import outcomes
from app.insights.schemas import InsightRead
from app.themes import service as theme_service
from app.themes.schemas import Quote, SentimentSplit, ThemeDetail, ThemeList, ThemeRead
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1/themes", tags=["themes"])


def theme_read(view: theme_service.ThemeView) -> ThemeRead:
    return ThemeRead(
        id=view.theme.id or 0,
        url=f"/themes/{view.theme.id}",
        label=view.theme.label,
        terms=view.theme.terms,
        size=view.size,
        growth=view.growth,
        recent=view.recent,
        sentiment=SentimentSplit(**view.sentiment),
        departments=[name for name, _n in view.departments],
        stages=[name for name, _n in view.stages],
        covered_by_pain_point_ids=view.covered_by,
    )


@router.get("", name="api:themes", response_model=ThemeList)
def list_themes(
    session: SessionDep,
    me: CurrentPerson,
    department: QueryId = None,
    stage: QueryId = None,
    since: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Only feedback received since this day")
    ] = None,
) -> ThemeList:
    """`department` and `stage` are ids; `since` a day (YYYY-MM-DD)."""
    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise ValidationFailed({"since": "Give a day as YYYY-MM-DD."}) from None
    filters = theme_service.Filters(department_id=department, stage_id=stage, since=day)
    views = theme_service.themes(session, actor=me, filters=filters)
    run = theme_service.last_run(session)
    return ThemeList(
        themes=[theme_read(v) for v in views], refreshed_at=run.started_at.isoformat() if run else None
    )


@router.get("/{theme_id}", name="api:theme", response_model=ThemeDetail)
def get_theme(session: SessionDep, me: CurrentPerson, theme_id: PathId) -> ThemeDetail:
    view = theme_service.theme(session, actor=me, theme_id=theme_id)
    return ThemeDetail(
        **theme_read(view).model_dump(),
        feedback_ids=view.member_ids,
        quotes=[Quote(id=q.id or 0, text=q.quote or q.body) for q in theme_service.quotes(session, view)],
    )


@router.post(
    "/{theme_id}/pain-point", name="api:theme_pain_point", response_model=InsightRead, status_code=201
)
def make_pain_point(session: SessionDep, me: CurrentPerson, theme_id: PathId) -> InsightRead:
    insight = theme_service.make_pain_point(session, actor=me, theme_id=theme_id)
    return outcomes.read(session, insight)
