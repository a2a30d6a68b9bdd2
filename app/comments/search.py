"""Comments in search: what the index knows of them, and how a hit is shown (only where the person
may see what the comment is on)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.comments import service as comment_service
from app.comments.models import Comment
from app.core.db import rows_by_id
from app.core.errors import NotFound
from app.core.markdown import strip_markup
from app.insights.models import Insight
from app.people.models import Person
from app.proposals.models import Proposal
from app.search.searchable import Searchable, Shown
from app.search.types import SearchDoc

ENTITY = "comment"


def docs_for(session: Session, ids: Sequence[int]) -> dict[int, SearchDoc | None]:
    found: dict[int, SearchDoc | None] = dict.fromkeys(ids)
    comments = (
        list(
            session.exec(
                select(Comment).where(col(Comment.id).in_(list(ids)), col(Comment.deleted_at).is_(None))
            ).all()
        )
        if ids
        else []
    )

    def on(target_type: str) -> list[int]:
        return [c.target_id for c in comments if c.target_type == target_type]

    targets: dict[str, dict[int, Insight] | dict[int, Proposal]] = {
        "insight": rows_by_id(session, Insight, on("insight")),
        "proposal": rows_by_id(session, Proposal, on("proposal")),
    }
    for comment in comments:
        assert comment.id is not None
        target: Insight | Proposal | None = targets[comment.target_type].get(comment.target_id)
        if target is None:
            continue
        # A comment on an archived insight is as hidden as the insight itself.
        status = target.status.value if isinstance(target, Insight) else "published"
        found[comment.id] = SearchDoc.of(
            ENTITY,
            comment,
            title=f"Comment on “{target.title}”",
            body=strip_markup(comment.body, 10_000),
            status=status,
        )
    return found


def show(session: Session, actor: Person, ids: Sequence[int]) -> dict[int, Shown]:
    """A comment is visible when what it is on is visible."""
    shown: dict[int, Shown] = {}
    for comment in session.exec(
        select(Comment).where(col(Comment.id).in_(list(ids)), col(Comment.deleted_at).is_(None))
    ).all():
        try:
            title, url = comment_service.target_title(
                session, actor=actor, target_type=comment.target_type, target_id=comment.target_id
            )
        except NotFound:
            continue
        shown[comment.id or 0] = Shown(
            kind=ENTITY,
            title=f"Comment on “{title}”",
            url=f"{url}#comment-{comment.id}",
            text=strip_markup(comment.body),
        )
    return shown


SEARCHABLE = Searchable(entity=ENTITY, id_column=col(Comment.id), docs_for=docs_for, show=show)
