"""Per-person write limits (security.md H1): comments, proposals, supports and uploads.

Each counted write adds a row to `write_event` in the same transaction as the write itself, so the
count is exact across uvicorn workers and app nodes (a counter in process memory would let N workers
through N times). Over a limit the write is refused with 429 and `Retry-After`, and nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.errors import RateLimited
from app.core.models import aware, utcnow
from app.limits.models import WriteEvent
from app.people.models import Person

log = logging.getLogger("portal.limits")

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
WHAT = {
    "comment": "comments",
    "proposal": "proposals",
    "support": "supports",
    "upload": "uploads",
}

# The demo loader writes many comments and supports per person in a second; it is trusted.
_bypass: ContextVar[bool] = ContextVar("write_limits_bypass", default=False)


@contextmanager
def bypass() -> Iterator[None]:
    """Lift the limits for trusted bulk loaders (`portal seed`), never for requests."""
    token = _bypass.set(True)
    try:
        yield
    finally:
        _bypass.reset(token)


def limits_for(action: str) -> list[tuple[int, timedelta]]:
    s = get_settings()
    table: dict[str, list[tuple[int, timedelta]]] = {
        "comment": [(s.limit_comments_per_minute, MINUTE), (s.limit_comments_per_hour, HOUR)],
        "proposal": [(s.limit_proposals_per_hour, HOUR)],
        "support": [(s.limit_supports_per_minute, MINUTE)],
        "upload": [(s.limit_uploads_per_hour, HOUR)],
    }
    return table[action]


def check(session: Session, *, person: Person, action: str) -> None:
    """Count this write, or refuse it with RateLimited when the person is over a limit.
    Call it inside the write's transaction, before the commit."""
    if _bypass.get():
        return
    assert person.id is not None
    # Count under the person's row lock: on PostgreSQL, parallel requests would otherwise each see
    # the same count under READ COMMITTED and all pass (40 parallel comments got 24-26 through a limit
    # of 6). SQLite needs nothing more: BEGIN IMMEDIATE already serialises writers.
    # FOR NO KEY UPDATE (key_share): it excludes only this person's other counted writes; rows that
    # merely point at the person (a notification to them, a comment by them) do not wait for it. A
    # plain FOR UPDATE made every comment that notified a person wait for that person's import.
    session.exec(select(Person.id).where(Person.id == person.id).with_for_update(key_share=True))
    now = utcnow()
    # Forget this person's events older than the longest window, so the table stays small.
    session.exec(
        delete(WriteEvent).where(
            col(WriteEvent.person_id) == person.id,
            col(WriteEvent.action) == action,
            col(WriteEvent.created_at) < now - 2 * HOUR,
        )
    )
    for allowed, window in limits_for(action):
        since = now - window
        used, oldest = session.exec(
            select(func.count(col(WriteEvent.id)), func.min(WriteEvent.created_at)).where(
                WriteEvent.person_id == person.id,
                WriteEvent.action == action,
                col(WriteEvent.created_at) > since,
            )
        ).one()
        if used >= allowed:
            retry = int((aware(oldest) + window - now).total_seconds()) + 1 if oldest else 1
            log.warning(
                "write limited",
                extra={"event": "limit.hit", "action": action, "actor_id": person.id},
            )
            per = "minute" if window == MINUTE else "hour"
            raise RateLimited(
                max(retry, 1),
                f"You have reached the limit of {allowed} {WHAT[action]} per {per}. "
                f"Please try again in {max(retry, 1)} seconds.",
            )
    session.add(WriteEvent(person_id=person.id, action=action, created_at=now))
