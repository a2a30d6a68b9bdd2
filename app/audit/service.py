"""Recording and reading audit events. Recording never commits: the event joins the caller's
transaction, so a rolled-back action leaves no audit row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.people.models import Person


def record(
    session: Session,
    *,
    actor: Person | None,
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        summary=summary[:500],
        details=details or {},
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
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


def distinct_actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all())
