"""Comments on insights and proposals: one level of replies, @mentions, follow-ups for followers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.comments import permissions
from app.comments.models import Comment
from app.comments.schemas import CommentIn, CommentRead
from app.core import db
from app.core import outbox as events
from app.core.db import owns_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.models import utcnow
from app.core.text import escape_like
from app.insights import permissions as insight_permissions
from app.insights.models import Insight
from app.limits import service as write_limits
from app.notifications import service as notification_service
from app.people import service as people_service
from app.people.models import Person
from app.proposals.models import Proposal
from app.search import outbox

TARGETS = ("insight", "proposal")
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._-]{2,64})")


@dataclass
class Thread:
    comment: Comment
    author: Person | None
    replies: list[tuple[Comment, Person | None]] = field(default_factory=list)


def target_title(session: Session, *, actor: Person, target_type: str, target_id: int) -> tuple[str, str]:
    """(title, url) of what is commented on; NotFound if it does not exist for this person."""
    if target_type == "insight":
        insight = session.get(Insight, target_id)
        if insight is None or not insight_permissions.can(actor, "view", insight):
            raise NotFound("There is no such insight.")
        return insight.title, f"/insights/{target_id}"
    if target_type == "proposal":
        proposal = session.get(Proposal, target_id)
        if proposal is None:
            raise NotFound("There is no such proposal.")
        return proposal.title, f"/proposals/{target_id}"
    raise NotFound("Comments are for insights and proposals.")


NAMED_ON_OWN_ANONYMOUS = (
    "You posted this proposal anonymously. A comment shows your name, so others could tell the "
    "proposal is yours. Tick the box to post under your name anyway."
)


def speaks_as_anonymous_author(session: Session, *, actor: Person, target_type: str, target_id: int) -> bool:
    """True when this person wrote the (anonymous) proposal they are about to comment on."""
    if target_type != "proposal":
        return False
    proposal = session.get(Proposal, target_id)
    return proposal is not None and proposal.written_anonymously_by(actor.id)


@owns_transaction
def add(session: Session, *, actor: Person, target_type: str, target_id: int, data: CommentIn) -> Comment:
    title, url = target_title(session, actor=actor, target_type=target_type, target_id=target_id)
    assert actor.id is not None
    if not data.confirm_named and speaks_as_anonymous_author(
        session, actor=actor, target_type=target_type, target_id=target_id
    ):
        raise ValidationFailed({"confirm_named": NAMED_ON_OWN_ANONYMOUS})
    write_limits.check(session, person=actor, action="comment")
    if data.parent_id is not None:
        parent = session.get(Comment, data.parent_id)
        if parent is None or (parent.target_type, parent.target_id) != (target_type, target_id):
            raise ValidationFailed({"parent_id": "Reply to a comment on this page."})
        if parent.parent_id is not None:  # one level of replies: answer the thread itself
            data = CommentIn(body=data.body, parent_id=parent.parent_id, confirm_named=data.confirm_named)
    comment = Comment(
        target_type=target_type,
        target_id=target_id,
        author_id=actor.id,
        parent_id=data.parent_id,
        body=data.body,
    )
    session.add(comment)
    session.flush()
    link = f"{url}#comment-{comment.id}"
    mentioned = _mentioned(session, data.body)
    mention = f"{actor.name} mentioned you in a comment on “{title}”."
    notification_service.notify(session, person_ids=mentioned, text=mention, url=link, exclude=actor.id)
    notification_service.notify_followers(
        session,
        (target_type, str(target_id)),
        text=f"{actor.name} commented on “{title}”.",
        url=link,
        exclude=actor.id,
        skip=mentioned,
    )
    notification_service.follow(session, person=actor, target_type=target_type, target_key=str(target_id))
    if target_type == "proposal":
        proposal = session.get(Proposal, target_id)
        if proposal is not None:
            proposal.last_activity_at = utcnow()
            session.add(proposal)
    outbox.enqueue(session, "comment", comment.id)
    events.emit(session, "comment.created", {"comment_id": comment.id})
    db.commit(session)
    return comment


def _mentioned(session: Session, body: str) -> set[int]:
    ids = set()
    for handle in {m.group(1).rstrip(".") for m in MENTION.finditer(body)}:
        person = people_service.get_by_handle(session, handle=handle)
        if person is not None and person.id is not None and person.is_active:
            ids.add(person.id)
    return ids


def editable(session: Session, *, actor: Person, comment_id: int) -> Comment:
    """A comment this person may edit: their own (or any, for an admin), on something they may see."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None:
        raise NotFound("There is no such comment.")
    target_title(session, actor=actor, target_type=comment.target_type, target_id=comment.target_id)
    permissions.check(actor, "edit", comment)
    return comment


@owns_transaction
def edit(session: Session, *, actor: Person, comment_id: int, body: str) -> Comment:
    comment = editable(session, actor=actor, comment_id=comment_id)
    data = CommentIn(body=body)
    comment.body = data.body
    comment.updated_at = utcnow()
    session.add(comment)
    outbox.enqueue(session, "comment", comment.id)
    db.commit(session)
    return comment


def delete(session: Session, *, actor: Person, comment_id: int) -> Comment:
    """A comment with replies leaves "comment removed" in its place; one without goes entirely."""
    comment = editable(session, actor=actor, comment_id=comment_id)
    has_replies = session.exec(select(Comment.id).where(Comment.parent_id == comment.id)).first() is not None
    if has_replies:
        comment.deleted_at = utcnow()
        comment.body = ""
        session.add(comment)
    else:
        session.delete(comment)
    outbox.enqueue(session, "comment", comment.id)
    db.commit(session)
    return comment


def threads(session: Session, *, target_type: str, target_id: int) -> list[Thread]:
    rows = session.exec(
        select(Comment)
        .where(Comment.target_type == target_type, Comment.target_id == target_id)
        .order_by(col(Comment.created_at), col(Comment.id))
    ).all()
    people = (
        {
            p.id: p
            for p in session.exec(select(Person).where(col(Person.id).in_({c.author_id for c in rows}))).all()
        }
        if rows
        else {}
    )
    top: dict[int, Thread] = {}
    for comment in rows:
        if comment.parent_id is None and comment.id is not None:
            top[comment.id] = Thread(comment=comment, author=people.get(comment.author_id))
    for comment in rows:
        if comment.parent_id is not None and comment.parent_id in top:
            top[comment.parent_id].replies.append((comment, people.get(comment.author_id)))
    return list(top.values())


def count(session: Session, *, target_type: str, target_id: int) -> int:
    return len(
        session.exec(
            select(Comment.id).where(
                Comment.target_type == target_type,
                Comment.target_id == target_id,
                col(Comment.deleted_at).is_(None),
            )
        ).all()
    )


def read_all(session: Session, *, actor: Person, target_type: str, target_id: int) -> list[CommentRead]:
    """Every comment on what the person may see, each thread's replies after it (the API's list)."""
    target_title(session, actor=actor, target_type=target_type, target_id=target_id)
    out = []
    for thread in threads(session, target_type=target_type, target_id=target_id):
        out.append(to_read(thread.comment, thread.author))
        out.extend(to_read(reply, author) for reply, author in thread.replies)
    return out


def to_read(comment: Comment, author: Person | None) -> CommentRead:
    assert comment.id is not None
    deleted = comment.deleted_at is not None
    return CommentRead(
        id=comment.id,
        body="" if deleted else comment.body,
        author=None if deleted or author is None else author.name,
        parent_id=comment.parent_id,
        created_at=comment.created_at.isoformat(),
        deleted=deleted,
    )


def mention_suggestions(session: Session, *, prefix: str, limit: int = 6) -> list[Person]:
    prefix = prefix.lstrip("@").lower()[:64]
    if len(prefix) < 1:
        return []
    escaped = escape_like(prefix)
    return list(
        session.exec(
            select(Person)
            .where(
                Person.is_active,
                col(Person.handle).like(f"{escaped}%", escape="\\")
                | col(Person.name).ilike(f"{escaped}%", escape="\\"),
            )
            .order_by(Person.handle)
            .limit(limit)
        ).all()
    )
