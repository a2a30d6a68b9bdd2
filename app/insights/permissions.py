"""Who may do what with insights (one policy for the domain, used by pages and API alike)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col

from app.core.access import PUBLISHERS
from app.core.errors import NotFound, PermissionDenied
from app.insights.models import Insight, Status
from app.people.models import Person


def can(person: Person | None, action: str, insight: Insight | None = None) -> bool:
    if person is None or not person.is_active:
        return False
    if action == "view":
        return insight is None or insight.status == Status.published or person.role in PUBLISHERS
    if action in {"create", "edit", "archive", "attach", "curate_tags"}:
        return person.role in PUBLISHERS
    return False


def get_checked(session: Session, person: Person, action: str, insight_id: int) -> Insight:
    """The insight, when the person may do `action` with it (see check)."""
    insight = session.get(Insight, insight_id)
    if insight is None:
        raise NotFound("There is no such insight.")
    check(person, action, insight)
    return insight


def check(person: Person, action: str, insight: Insight | None = None) -> None:
    if not can(person, "view", insight):
        # Archived insights do not exist for people who may not see them.
        raise NotFound("There is no such insight.")
    if not can(person, action, insight):
        raise PermissionDenied("Only CX staff and admins can change insights.")


def sees_archived(person: Person) -> bool:
    """Whether archived insights are visible to this person (CX staff and admins): the one
    difference in what people see, so figures over visible insights are kept per answer."""
    return person.role in PUBLISHERS


def visible_filter(person: Person) -> Any:
    """The SQL condition for insights this person may see."""
    if sees_archived(person):
        return col(Insight.id).is_not(None)
    return col(Insight.status) == Status.published
