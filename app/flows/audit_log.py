"""The audit log page: events with the people who caused them (audit and people are two domains)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.core.types import page_count
from app.people.models import Person

PER_PAGE = 50


def list_events(
    session: Session,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[int, list[tuple[AuditEvent, Person | None]]]:
    query = select(AuditEvent, Person).join(Person, col(AuditEvent.actor_id) == Person.id, isouter=True)
    count_query = select(func.count()).select_from(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
        count_query = count_query.where(AuditEvent.action == action)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
        count_query = count_query.where(AuditEvent.actor_id == actor_id)
    total = session.exec(count_query).one()
    rows = session.exec(
        query.order_by(col(AuditEvent.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return total, [(event, person) for event, person in rows]


def page(session: Session, *, action: str, page: int) -> dict[str, Any]:
    """The audit log page: one page of events (of one action, if chosen) and the actions to choose."""
    total, rows = list_events(session, action=action or None, page=page)
    return {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": page_count(total, PER_PAGE),
        "action": action,
        "actions": audit_service.distinct_actions(session),
    }
