"""Recording what the index must learn. Services call `enqueue` before their single commit, so the
intent to index is atomic with the change itself: a crash between commit and indexing loses nothing."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.models import utcnow
from app.search.models import SearchOutbox


def enqueue(session: Session, entity_type: str, entity_id: int | None, op: str = "upsert") -> None:
    if entity_id is not None:
        session.add(SearchOutbox(entity_type=entity_type, entity_id=entity_id, op=op))
        if get_settings().search_backend == "postgres":
            # Indexed in this very transaction, just before it commits (app/flows/search.py).
            session.info.setdefault("search_outbox", set()).add((entity_type, entity_id))


def pending(session: Session, *, limit: int = 500, after_id: int = 0) -> list[SearchOutbox]:
    return list(
        session.exec(
            select(SearchOutbox)
            .where(col(SearchOutbox.processed_at).is_(None), col(SearchOutbox.id) > after_id)
            .order_by(col(SearchOutbox.id))
            .limit(limit)
        ).all()
    )


def mark_processed(session: Session, ids: list[int]) -> None:
    if ids:
        session.exec(update(SearchOutbox).where(col(SearchOutbox.id).in_(ids)).values(processed_at=utcnow()))


def max_id(session: Session) -> int:
    return int(session.exec(select(func.coalesce(func.max(SearchOutbox.id), 0))).one() or 0)


def backlog(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(SearchOutbox).where(col(SearchOutbox.processed_at).is_(None))
    ).one()
