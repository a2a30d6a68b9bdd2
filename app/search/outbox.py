"""Recording what the index must learn. Services call `enqueue` before their single commit, so the
intent to index is atomic with the change itself: a crash between commit and indexing loses nothing.
`portal worker` (or each app's drainer) applies the rows to the index; an engine that indexes inside
the change's own transaction (PostgreSQL) is also handed the change just before the commit."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, event, func, update
from sqlmodel import Session, col, select

from app.core import bulk, db
from app.core.config import get_settings
from app.core.models import utcnow
from app.search import engines
from app.search.models import SearchOutbox
from app.search.searchable import documents_for
from app.search.types import IndexesInTransaction

OUTBOX_TABLE: Table = SearchOutbox.__table__  # type: ignore[attr-defined]
_PENDING = "search_outbox"  # session.info key: what this transaction changed, for in-transaction engines


def enqueue(session: Session, entity_type: str, entity_id: int | None, op: str = "upsert") -> None:
    if entity_id is None:
        return
    session.add(SearchOutbox(entity_type=entity_type, entity_id=entity_id, op=op))
    if engines.configured().backend_type().indexes_in_transaction:
        session.info.setdefault(_PENDING, set()).add((entity_type, entity_id))
        if not event.contains(session, "before_commit", _index_before_commit):
            event.listen(session, "before_commit", _index_before_commit)


def enqueue_many(connection: Connection, entity_type: str, ids: list[int], *, created_at: datetime) -> None:
    """Outbox rows for many new records at once (an import), by one bulk insert on the caller's
    connection. They are indexed by `portal worker`, on every engine (on PostgreSQL too: a
    100,000-row import is not indexed inside its own transaction)."""
    bulk.insert_rows(
        connection,
        OUTBOX_TABLE,
        ("entity_id",),
        [(i,) for i in ids],
        {"entity_type": entity_type, "op": "upsert", "created_at": created_at, "attempts": 0},
    )


def _index_before_commit(session: Session) -> None:
    """The documents of what this session changed, written on its own connection just before it
    commits. The outbox rows stay for `portal worker`, which sends saved-search alerts and marks
    them done; applying them again there is harmless."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        backend = cast(IndexesInTransaction, engines.configured().open(get_settings().data_dir))
        upserts, deletes = documents_for(session, pending)
        backend.write(session.connection(), upserts, deletes)


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


def record_failure(session: Session, ids: list[int], exc: Exception) -> None:
    """A batch that could not be indexed: each row's attempt counted and the error kept (its kind and
    message, never the text indexed); the rows stay pending and the next drain tries them again."""
    if ids:
        session.exec(
            update(SearchOutbox)
            .where(col(SearchOutbox.id).in_(ids))
            .values(attempts=SearchOutbox.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500])
        )
        db.commit(session)


def max_id(session: Session) -> int:
    return int(session.exec(select(func.coalesce(func.max(SearchOutbox.id), 0))).one() or 0)


def backlog(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(SearchOutbox).where(col(SearchOutbox.processed_at).is_(None))
    ).one()
