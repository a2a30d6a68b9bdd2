"""What the search index knows of comments."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlmodel import Session, col, select

from app.comments.models import Comment
from app.core.markdown import strip_markup
from app.core.models import aware
from app.insights.models import Insight
from app.proposals.models import Proposal
from app.search.backend import SearchDoc

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


def all_docs(session: Session, *, chunk: int = 1000) -> Iterator[SearchDoc]:
    last = 0
    while True:
        ids = [
            i
            for i in session.exec(
                select(Comment.id).where(col(Comment.id) > last).order_by(col(Comment.id)).limit(chunk)
            ).all()
            if i is not None
        ]
        if not ids:
            return
        for doc in docs_for(session, ids).values():
            if doc is not None:
                yield doc
        last = ids[-1]
