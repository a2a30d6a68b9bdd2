"""Recording audit events. Recording never commits: the event joins the caller's transaction, so
a rolled-back action leaves no audit row. (The audit log page reads them in app/flows/audit_log.py.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from app.audit.models import AuditEvent

if TYPE_CHECKING:  # every domain records audit events, people included: only the type is needed
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


def distinct_actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all())
