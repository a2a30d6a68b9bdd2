"""What the search index knows of comments."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlmodel import Session, col, select

from app.comments.models import Comment
from app.core.markdown import strip_markup
from app.core.models import aware
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
    insights = {
        i.id: i
        for i in session.exec(
            select(Insight).where(
                col(Insight.id).in_([c.target_id for c in comments if c.target_type == "insight"])
            )
        ).all()
    }
    proposals = {
        p.id: p
        for p in session.exec(
            select(Proposal).where(
                col(Proposal.id).in_([c.target_id for c in comments if c.target_type == "proposal"])
            )
        ).all()
    }
    for comment in comments:
        assert comment.id is not None
        target = (
            insights.get(comment.target_id)
            if comment.target_type == "insight"
            else proposals.get(comment.target_id)
        )
        if target is None:
            continue
        # A comment on an archived insight is as hidden as the insight itself.
        status = target.status.value if isinstance(target, Insight) else "published"
        found[comment.id] = SearchDoc(
            doc_id=f"{ENTITY}:{comment.id}",
            type=ENTITY,
            entity_id=comment.id,
            kind="comment",
            title=f"Comment on “{target.title}”",
            body=strip_markup(comment.body, 10_000),
            status=status,
            created=int(aware(comment.created_at).timestamp()),
        )
    return found


def all_docs(session: Session) -> Iterator[SearchDoc]:
    return all_docs_in_chunks(session, col(Comment.id), docs_for)
