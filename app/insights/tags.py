"""Tags: how a typed tag becomes one (`Late Delivery` -> `late-delivery`), the tags of insights,
suggestions while typing, and telling the followers of a tag about a new insight."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.core import cache
from app.insights import permissions
from app.insights.models import (
    Insight,
    InsightTag,
    Status,
    Tag,
)
from app.notifications import service as notification_service
from app.people.models import Person

_TAG_CHARS = re.compile(r"[^\w-]+", re.UNICODE)


def normalise_tag(raw: str) -> str:
    """Tags are lower case words joined by dashes: 'Late Delivery' -> 'late-delivery'."""
    text = unicodedata.normalize("NFC", raw).strip().lower()
    text = _TAG_CHARS.sub("-", text).strip("-_")
    return re.sub(r"-{2,}", "-", text)[:50]


def parse_tags(raw: str | Iterable[str]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    seen: list[str] = []
    for item in items:
        tag = normalise_tag(item)
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def tags_by_insight(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = session.exec(
            select(InsightTag.insight_id, Tag.name)
            .join(Tag, col(Tag.id) == InsightTag.tag_id)
            .where(col(InsightTag.insight_id).in_(ids))
            .order_by(Tag.name)
        ).all()
        for insight_id, name in rows:
            result[insight_id].append(name)
    return result


def set_tags(session: Session, insight_id: int, tags: list[str]) -> None:
    session.exec(delete(InsightTag).where(col(InsightTag.insight_id) == insight_id))
    for name in parse_tags(tags):
        tag = session.exec(select(Tag).where(Tag.name == name)).first()
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
        assert tag.id is not None
        session.add(InsightTag(insight_id=insight_id, tag_id=tag.id))


def suggest_tags(session: Session, *, actor: Person, prefix: str, limit: int = 8) -> list[str]:
    """Tags in use on insights this person may see (an archived insight's tags stay hidden from
    those who cannot see it), most used first: a word of the tag starts with what was typed."""
    prefix = normalise_tag(prefix)
    if not prefix:
        return []
    return [
        name for name, _ in usage(session, actor=actor) if name.startswith(prefix) or f"-{prefix}" in name
    ][:limit]


TAG_TABLES = ("insight", "insight_tag", "tag")


def usage(session: Session, *, actor: Person) -> list[tuple[str, int]]:
    """Every tag on insights this person may see with how many carry it, most used first. One scan
    of the tag links, kept for half a minute (see core.cache): the company has hundreds or a few
    thousand tags, not as many as insights, so typing filters this list in memory."""

    def count() -> list[tuple[str, int]]:
        rows = session.exec(
            select(Tag.name, func.count(col(InsightTag.insight_id)))
            .join(InsightTag, col(InsightTag.tag_id) == Tag.id)
            .join(Insight, col(Insight.id) == InsightTag.insight_id)
            .where(permissions.visible_filter(actor))
            .group_by(Tag.name)
            .order_by(func.count(col(InsightTag.insight_id)).desc(), Tag.name)
        ).all()
        return [(name, n) for name, n in rows]

    return cache.for_session(session, "tag-usage", permissions.sees_archived(actor), count, tables=TAG_TABLES)


def notify_followers(session: Session, *, actor: Person, insight: Insight, tags: list[str]) -> None:
    if insight.status != Status.published or not tags:
        return
    for tag in tags:
        news = f"New {insight.kind.label.lower()} tagged #{tag}: “{insight.title}”."
        notification_service.notify_followers(
            session, ("tag", tag), text=news, url=f"/insights/{insight.id}", exclude=actor.id
        )
