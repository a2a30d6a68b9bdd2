"""Database engines and the per-request session.

SQLite (the default) gets the settings that security.md J1 measured: WAL, busy_timeout, foreign
keys, synchronous=FULL, and write transactions that start with BEGIN IMMEDIATE. A plain BEGIN
upgraded to a write later fails at once with "database is locked" when another process wrote in
between (612 of 800 failed in the measurement); BEGIN IMMEDIATE waits for the lock instead.
Reads (GET requests) use a second engine that begins DEFERRED, so pages never queue behind writers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel, col, create_engine, select

from app.core import markdown
from app.core.config import get_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# How long a write waits for SQLite's one write lock before it gives up with 503. The longest
# holder is an import's write (one transaction, all rows or none: about 4 s for 50,000 rows under
# load, measured by `make bench`'s mixed run); 5 s turned that into refused comments and exports,
# so a write now waits up to 15 s, and a person sees a slow answer instead of an error.
BUSY_TIMEOUT_SECONDS = 15


def _make_engine(url: str, *, begin: str) -> Engine:
    if url.startswith("sqlite"):
        # isolation_level=None turns off pysqlite's own BEGIN handling, so the "begin" hook decides.
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": BUSY_TIMEOUT_SECONDS,
                "isolation_level": None,
            },
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            busy = f"busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}"
            for pragma in ("journal_mode=WAL", busy, "foreign_keys=ON", "synchronous=FULL"):
                dbapi_conn.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql(f"BEGIN {begin}")

        return engine
    # PostgreSQL: pre-ping so a restarted server is recovered from without errors.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


@lru_cache
def get_engine() -> Engine:
    """The engine for writes (and for everything on PostgreSQL)."""
    settings = get_settings()
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return _make_engine(settings.effective_database_url, begin="IMMEDIATE")


@lru_cache
def get_read_engine() -> Engine:
    settings = get_settings()
    if settings.is_postgres:
        return get_engine()
    return _make_engine(settings.effective_database_url, begin="DEFERRED")


def dispose_engines() -> None:
    for factory in (get_engine, get_read_engine):
        if factory.cache_info().currsize:
            factory().dispose()
        factory.cache_clear()


P = ParamSpec("P")
R = TypeVar("R")


def owns_transaction(fn: Callable[P, R]) -> Callable[P, R]:
    """Marks a service function that is one whole transaction: it commits when it succeeds, and
    when it raises, nothing it did stays pending in the session, so the route can go on reading
    (to show the form again with its errors) without a rollback of its own."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except BaseException:
            session = kwargs.get("session", args[0] if args else None)
            if isinstance(session, Session):
                session.rollback()
            raise

    return wrapper


_DEFERRED = "one_transaction_depth"


@contextmanager
def one_transaction(session: Session) -> Iterator[None]:
    """Several services' work as one transaction (a flow across domains, the demo loader): the
    services' own commits (`commit` below) wait, and everything commits when the block ends, or
    nothing does when it raises."""
    depth = session.info.get(_DEFERRED, 0)
    session.info[_DEFERRED] = depth + 1
    try:
        yield
    finally:
        session.info[_DEFERRED] = depth
    if depth == 0:
        session.commit()


def commit(session: Session) -> None:
    """A service's commit: at once, or at the end of the one_transaction it runs in."""
    if not session.info.get(_DEFERRED):
        session.commit()


def new_session() -> Session:
    """A write session for commands and background work."""
    return Session(get_engine(), expire_on_commit=False)


def new_read_session() -> Session:
    """A session for long reads (exports, import checks, index drains): on SQLite it begins
    DEFERRED, so however long it reads, it never holds the write lock."""
    return Session(get_read_engine(), expire_on_commit=False)


def refresh_statistics(session: Session, table: str) -> None:
    """ANALYZE one table, in a short transaction of its own, so the planner keeps choosing the
    right index after a bulk change (SQLite never gathers statistics by itself; PostgreSQL's
    autovacuum does, but only later). About 0.1 s for 100,000 insights."""
    session.exec(text(f'ANALYZE "{table}"'))  # type: ignore[call-overload]
    session.commit()


@event.listens_for(OrmSession, "before_flush")
def _store_rendered_markdown(session: OrmSession, _context: Any, _instances: Any) -> None:
    """A record with Markdown fields (a `markdown_fields` class attribute) stores their HTML in
    `rendered` whenever it is written with a changed field, or its stored HTML is of an older
    version (core.markdown.RENDERED_VERSION), so pages never render it."""
    for record in (*session.new, *session.dirty):
        fields: tuple[str, ...] = getattr(type(record), "markdown_fields", ())
        if not fields:
            continue
        state = sa_inspect(record)
        changed = state.pending or any(state.attrs[field].history.has_changes() for field in fields)
        if changed or not markdown.is_current(record.rendered):
            record.rendered = markdown.rendered(record, fields)


def ping(session: Session) -> bool:
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return True


Row = TypeVar("Row", bound=SQLModel)


def rows_by_id(session: Session, model: type[Row], ids: Iterable[int]) -> dict[int, Row]:
    """The rows of `model` with these ids, by id (those that no longer exist are left out)."""
    wanted = list(ids)
    if not wanted:
        return {}
    table: Any = model  # every table here has an integer `id` key
    rows: list[Any] = list(session.exec(select(model).where(col(table.id).in_(wanted))).all())
    return {row.id: row for row in rows}


__all__ = [
    "SAFE_METHODS",
    "commit",
    "get_engine",
    "get_read_engine",
    "new_read_session",
    "new_session",
    "one_transaction",
    "owns_transaction",
    "ping",
    "refresh_statistics",
    "rows_by_id",
]
