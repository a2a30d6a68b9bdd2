"""What the search index knows of insights, read from the database (the truth)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from sqlmodel import Session, col, select

from app.core.markdown import plain_excerpt
from app.insights.models import Insight, JourneyStage, Kind
from app.insights.tags import tags_by_insight
from app.people.models import Department
from app.search.documents import all_docs_in_chunks
from app.search.types import SearchDoc

ENTITY = "insight"


def _body(insight: Insight, stages: list[JourneyStage]) -> str:
    parts = [
        insight.quote,
        plain_excerpt(insight.body, 20_000),
        insight.persona,
        insight.goals,
        insight.frustrations,
        " ".join(insight.quotes or []),
        insight.product_area,
        insight.segment,
    ]
    for stage in stages:
        parts += [
            stage.name,
            stage.goal,
            stage.actions,
            stage.touchpoints,
            stage.thoughts,
            stage.opportunities,
        ]
    return "\n".join(p for p in parts if p)


def docs_for(session: Session, ids: Sequence[int]) -> dict[int, SearchDoc | None]:
    """Documents for these insight ids; None for ids that no longer exist."""
    found: dict[int, SearchDoc | None] = dict.fromkeys(ids)
    if not ids:
        return found
    insights = list(session.exec(select(Insight).where(col(Insight.id).in_(list(ids)))).all())
    tags = tags_by_insight(session, [i.id for i in insights if i.id is not None])
    departments = {d.id: d.name for d in session.exec(select(Department)).all()}
    stages: dict[int, list[JourneyStage]] = defaultdict(list)
    journey_ids = [i.id for i in insights if i.kind == Kind.journey_map and i.id is not None]
    if journey_ids:
        for stage in session.exec(
            select(JourneyStage)
            .where(col(JourneyStage.journey_id).in_(journey_ids))
            .order_by(col(JourneyStage.position))
        ).all():
            stages[stage.journey_id].append(stage)
    for insight in insights:
        assert insight.id is not None
        found[insight.id] = SearchDoc.of(
            ENTITY,
            insight,
            kind=insight.kind.value,
            title=insight.title,
            body=_body(insight, stages.get(insight.id, [])),
            tags=tags.get(insight.id, []),
            department=departments.get(insight.department_id, "") if insight.department_id else "",
            product_area=insight.product_area,
            sentiment=insight.sentiment.value if insight.sentiment else "",
            status=insight.status.value,
        )
    return found


def all_docs(session: Session) -> Iterator[SearchDoc]:
    return all_docs_in_chunks(session, col(Insight.id), docs_for)
