"""What the search index knows of comments."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlmodel import Session, col, select

from app.comments.models import Comment
from app.core.db import rows_by_id
from app.core.markdown import strip_markup
from app.insights.models import Insight
from app.proposals.models import Proposal
from app.search.documents import all_docs_in_chunks
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


def all_docs(session: Session) -> Iterator[SearchDoc]:
    return all_docs_in_chunks(session, col(Comment.id), docs_for)
