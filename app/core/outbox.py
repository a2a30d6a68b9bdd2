"""The event outbox: work that must follow a change, written in the change's own transaction and done
afterwards by `portal worker` (or each app process's drainer), with every attempt and failure kept.

- `emit(session, topic, payload)` adds an event to the session: it commits with the change or not at
  all, so a crash between the change and the work loses nothing and invents nothing.
- A consumer (`Consumer`: a topic and a handler) is registered by app/registry.py. `drain` claims
  due events for a while (a lease, so several workers never handle one event at once), runs each
  handler in a transaction that also marks the event done, and on an error records the attempt and
  the error and tries again later, each time about twice as late (with jitter), until the
  consumer's attempts are used up: then the event is marked failed and stays for an admin to see.
- A handler may run more than once for one event (a worker that dies after the work and before
  the mark): handlers are written so that doing it twice does no harm.

The search index keeps its own outbox (app/search/outbox.py): its rows are many, small and
batched, and it indexes in the change's own transaction on PostgreSQL.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from app.core import db
from app.core.models import UTCDateTime, utcnow

log = logging.getLogger("portal.outbox")

PENDING, DONE, FAILED = "pending", "done", "failed"
LEASE = timedelta(minutes=5)  # how long a claimed event is left to its worker before another may try


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_status_due", "status", "next_attempt_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=64, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=PENDING, max_length=8)  # pending | done | failed
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Consumer:
    topic: str
    # Does the event's work. Database writes go through `session` and commit with the event's
    # mark; raise to have it tried again later.
    handle: Callable[[Session, dict[str, Any]], None]
    max_attempts: int = 8
    first_retry: timedelta = timedelta(seconds=30)  # then about twice as long each time


_consumers: dict[str, Consumer] = {}


def register(*consumers: Consumer) -> None:
    for consumer in consumers:
        _consumers[consumer.topic] = consumer


def has_consumer(topic: str) -> bool:
    return topic in _consumers


def emit(session: Session, topic: str, payload: dict[str, Any]) -> None:
    """An event for `topic`, committed with the session's change."""
    session.add(OutboxEvent(topic=topic, payload=payload))


def retry_delay(consumer: Consumer, attempts: int) -> timedelta:
    """After the n-th failed attempt: first_retry x 2^(n-1), between 0.5x and 1.5x of it (jitter,
    so events that failed together do not all come back in the same second)."""
    base = consumer.first_retry * (2 ** max(attempts - 1, 0))
    return base * random.uniform(0.5, 1.5)


def drain(session: Session, *, limit: int = 100, now: datetime | None = None) -> int:
    """Handle the due events of registered topics, oldest first; returns how many were handled
    (done, or failed once more)."""
    claimed = _claim(session, limit=limit, now=now or utcnow())
    for event_id in claimed:
        _handle(session, event_id)
    return len(claimed)


def _claim(session: Session, *, limit: int, now: datetime) -> list[int]:
    """Due events, leased to this worker in one short write transaction."""
    if not _consumers:
        return []
    query = (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.status == PENDING,
            col(OutboxEvent.next_attempt_at) <= now,
            col(OutboxEvent.topic).in_(list(_consumers)),
        )
        .order_by(col(OutboxEvent.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers never claim the same rows
    ids = [i for i in session.exec(query).all() if i is not None]
    if ids:
        session.exec(
            update(OutboxEvent).where(col(OutboxEvent.id).in_(ids)).values(next_attempt_at=now + LEASE)
        )
    db.commit(session)
    return ids


def _handle(session: Session, event_id: int) -> None:
    event = session.get(OutboxEvent, event_id)
    if event is None or event.status != PENDING:
        return
    consumer = _consumers[event.topic]
    try:
        with db.one_transaction(session):
            consumer.handle(session, dict(event.payload))
            event.status, event.done_at = DONE, utcnow()
            session.add(event)
    except Exception as exc:  # noqa: BLE001  recorded on the event, tried again later
        session.rollback()
        _record_failure(session, consumer, event_id, exc)


def _record_failure(session: Session, consumer: Consumer, event_id: int, exc: Exception) -> None:
    event = session.get(OutboxEvent, event_id)
    if event is None:
        return
    event.attempts += 1
    # The error's kind and message only: never the payload, which may hold what people wrote.
    event.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if event.attempts >= consumer.max_attempts:
        event.status = FAILED
        log.error(
            "outbox event failed for good",
            extra={"event": "outbox.failed", "topic": event.topic, "outbox_id": event.id},
        )
    else:
        event.next_attempt_at = utcnow() + retry_delay(consumer, event.attempts)
    session.add(event)
    db.commit(session)


def counts(session: Session) -> dict[str, int]:
    """Events not yet done and events that failed for good, for /healthz."""
    rows = session.exec(
        select(OutboxEvent.status, func.count())
        .where(col(OutboxEvent.status).in_([PENDING, FAILED]))
        .group_by(col(OutboxEvent.status))
    ).all()
    found = dict(rows)
    return {"pending": int(found.get(PENDING, 0)), "failed": int(found.get(FAILED, 0))}
