"""Who may do what with comments: anyone who may see the insight or proposal comments on it;
a comment is changed or removed by its author or an admin (the one owner-or-admin rule)."""

from __future__ import annotations

from app.comments.models import Comment
from app.core.access import owns_or_admin
from app.core.errors import PermissionDenied
from app.people.models import Person


def can(person: Person | None, action: str, comment: Comment | None = None) -> bool:
    if person is None or not person.is_active:
        return False
    if action in {"edit", "delete"}:
        return comment is not None and owns_or_admin(person, comment.author_id)
    return action == "comment"


def check(person: Person, action: str, comment: Comment | None = None) -> None:
    if not can(person, action, comment):
        raise PermissionDenied("You can only change your own comments.")
