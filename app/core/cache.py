"""Figures that cost a scan of a large table, computed once and kept for a short, stated time.

A page that shows counts over every insight (the home page's counts by kind, the list's total and
filter values, tag suggestions, the dashboard) would otherwise scan 100,000 rows on every view. Such
a figure is kept in this process for `ttl` seconds and recomputed sooner when a table it depends on
is written by this process: every INSERT, UPDATE or DELETE that goes through SQLAlchemy (ORM flushes,
Core statements and the bulk importer's driver SQL alike) moves the table's generation on, once when
it runs and again when its transaction ends. So a person sees their own change at once; a change
made through another worker or node shows within `ttl` seconds (the README states it).

Entries are keyed by the database they came from, so two databases in one process (tests, two
nodes) never share figures."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Engine, event

T = TypeVar("T")

MAX_ENTRIES = 512
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)

_lock = threading.Lock()
_generations: dict[str, int] = {}
_entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()


def generation(tables: Iterable[str]) -> tuple[int, ...]:
    with _lock:
        return tuple(_generations.get(t, 0) for t in tables)


def touch(*tables: str) -> None:
    """Mark tables as changed: every figure that depends on them is recomputed on its next use."""
    with _lock:
        for table in tables:
            _generations[table] = _generations.get(table, 0) + 1


def remember(
    name: str,
    key: Hashable,
    compute: Callable[[], T],
    *,
    tables: tuple[str, ...],
    database: str,
    ttl: float = 30.0,
) -> T:
    """`compute()`, or its result kept from a call less than `ttl` seconds ago with the same name,
    key and database, when none of `tables` has been written by this process since."""
    # The generation is read before computing: a write that lands meanwhile keys a fresh entry.
    full_key = (name, database, key, generation(tables))
    now = time.monotonic()
    with _lock:
        kept = _entries.get(full_key)
        if kept is not None and now - kept[0] < ttl:
            _entries.move_to_end(full_key)
            return kept[1]
    value = compute()
    with _lock:
        _entries[full_key] = (now, value)
        _entries.move_to_end(full_key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def for_session(
    session: Any,
    name: str,
    key: Hashable,
    compute: Callable[[], T],
    *,
    tables: tuple[str, ...],
    ttl: float = 30.0,
) -> T:
    """`remember` for the database this session reads."""
    database = str(session.get_bind().engine.url)
    return remember(name, key, compute, tables=tables, database=database, ttl=ttl)


def clear() -> None:
    with _lock:
        _entries.clear()


def _written_tables(conn: Any) -> set[str]:
    """The tables this connection's transaction wrote (a set kept on the connection; an empty one
    when the connection is gone, as after a database restart: the touches still happened)."""
    try:
        info = conn.info
    except Exception:  # an invalidated connection has no info until it is rolled back
        return set()
    written: set[str] = info.setdefault("cache_written", set())
    return written


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement[:1] in ("S", "s", "P", "B", "R", "C"):  # SELECT, PRAGMA, BEGIN, RELEASE, COMMIT: no write
        return
    found = _WRITE.match(statement)
    if found:
        table = found.group(1).lower()
        _written_tables(conn).add(table)
        touch(table)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn: Any) -> None:
    # Again at the end: a figure computed by another request between the write and its commit
    # read the data before it; and a rollback takes the written rows back.
    written = _written_tables(conn)
    if written:
        touch(*written)
        written.clear()


@event.listens_for(Engine, "rollback_savepoint")
def _savepoint_rolled_back(conn: Any, _name: Any, _context: Any) -> None:
    written = _written_tables(conn)
    if written:
        touch(*written)
