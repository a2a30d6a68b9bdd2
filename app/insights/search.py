"""Insights in search: what the index knows of them, read from the database (the truth), how a hit
is shown, and the saved-search alerts once new insights are in the index."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.core.markdown import plain_excerpt, strip_markup
from app.core.outbox import Consumer
from app.insights import permissions
from app.insights.models import Insight, JourneyStage, Kind
from app.insights.tags import tags_by_insight
from app.notifications import service as notification_service
from app.notifications.models import Follow
from app.people.models import Department, Person
from app.search import service as search_service
from app.search.searchable import Searchable, Shown
from app.search.types import QueryError, SearchDoc, SearchQuery, SearchUnavailable

ENTITY = "insight"


def _text(insight: Insight, name: str, *, limit: int | None = None) -> str:
    """A field as plain text: the Markdown body without its markup, a list of quotes by spaces."""
    if name == "body":
        return plain_excerpt(insight.body, limit) if limit else strip_markup(insight.body)
    value = getattr(insight, name)
    return " ".join(value) if isinstance(value, list) else str(value or "")


def _body(insight: Insight, stages: list[JourneyStage]) -> str:
    """What the index keeps besides title and tags: the kind's indexed fields (app/insights/kinds.py),
    the product area and segment, and a journey map's stages."""
    parts = [_text(insight, name, limit=20_000) for name in insight.kind.declaration.indexed]
    parts += [insight.product_area, insight.segment]
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


def show(session: Session, actor: Person, ids: Sequence[int]) -> dict[int, Shown]:
    """The hits this person may see (drafts and archived insights only for those who may edit)."""
    rows = session.exec(
        select(Insight).where(col(Insight.id).in_(list(ids)), permissions.visible_filter(actor))
    ).all()
    return {
        insight.id: Shown(
            kind=insight.kind.value,
            title=insight.title,
            url=f"/insights/{insight.id}",
            text="\n".join(p for name in insight.kind.declaration.snippet if (p := _text(insight, name))),
            record=insight,
        )
        for insight in rows
        if insight.id is not None
    }


def alert_saved_searches(session: Session, payload: dict[str, Any]) -> None:
    """The followers of each saved search that matches insights new in the index hear of them, once
    per insight (the event `search.indexed.insight`, handled by `portal worker`). The alerts commit
    with the event's done mark (app/core/outbox.py), so they are given once."""
    created = set(payload.get("ids", []))
    backend = search_service.get_backend()
    queries = session.exec(select(Follow.target_key).where(Follow.target_type == "search").distinct()).all()
    for text in queries:
        try:
            result = backend.search(SearchQuery(text=text, sort="newest", per_page=100, with_facets=False))
        except (QueryError, SearchUnavailable):
            continue
        matched = [h.entity_id for h in result.hits if h.type == ENTITY and h.entity_id in created]
        if not matched:
            continue
        # The followers once per saved search, however many new insights it matched.
        followers = list(notification_service.followers(session, target_type="search", target_keys=[text]))
        for insight in session.exec(select(Insight).where(col(Insight.id).in_(matched))).all():
            notification_service.notify(
                session,
                person_ids=followers,
                text=f"New insight for your saved search “{text}”: “{insight.title}”.",
                url=f"/insights/{insight.id}",
                exclude=insight.author_id,
            )


SAVED_SEARCH_ALERTS = Consumer(f"{search_service.INDEXED_TOPIC}.{ENTITY}", alert_saved_searches)


SEARCHABLE = Searchable(
    entity=ENTITY,
    id_column=col(Insight.id),
    docs_for=docs_for,
    show=show,
    sees_unpublished=lambda person: permissions.can(person, "edit"),
)
