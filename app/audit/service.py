"""Recording audit events. Recording never commits: the event joins the caller's transaction, so
a rolled-back action leaves no audit row. (The audit log page reads them in app/flows/audit_log.py.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session, SQLModel, select

from app.audit.models import AuditEvent

if TYPE_CHECKING:  # every domain records audit events, people included: only the type is needed
    from app.people.models import Person


def record(
    session: Session,
    actor: Person | None,
    action: str,
    on: SQLModel | None = None,
    *,
    summary: str = "",
    details: dict[str, Any] | None = None,
    entity_type: str | None = None,
    entity_id: int | None = None,
) -> AuditEvent:
    """Add one audit event about `on` (its table names the entity type) or, for what is not a row
    (an export, the dashboard), about `entity_type`/`entity_id`."""
    if on is not None:
        entity_type, entity_id = str(on.__tablename__), getattr(on, "id", None)
    if entity_type is None:
        raise ValueError("an audit event is about a row (on=) or names its entity_type")
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
