"""Figures that cost a scan of a large table, computed once and kept for a short, stated time.

A page that shows counts over every insight (the home page's counts by kind, the list's total and
filter values, tag suggestions, the dashboard) would otherwise scan 100,000 rows on every view. Such
a figure is kept in this process for `ttl` seconds and recomputed sooner when a table it depends on
is written by this process: every INSERT, UPDATE or DELETE that goes through SQLAlchemy (ORM flushes,
Core statements and the bulk importer's driver SQL alike) moves the table's generation on, once when
it runs. So a person sees their own change at once; a change
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
_computing: set[Hashable] = set()  # kept figures being computed again right now


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
        if kept is not None:
            # Once its time is up, one request computes it again and the others keep answering
            # with the kept value meanwhile, instead of every busy thread of the worker (up to
            # 40) computing the same count at the same moment.
            if now - kept[0] < ttl or full_key in _computing:
                _entries.move_to_end(full_key)
                return kept[1]
            _computing.add(full_key)
    try:
        value = compute()
    finally:
        with _lock:
            _computing.discard(full_key)
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


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    # Only the statement, never the connection: listening to commit and rollback as well (to
    # touch again when the transaction ends) left requests hanging while PostgreSQL restarted
    # (tests/reliability/test_postgres_restart.py); the time limit covers that short window.
    if statement[:1] in ("S", "s", "P", "B", "R", "C"):  # SELECT, PRAGMA, BEGIN, RELEASE, COMMIT: no write
        return
    found = _WRITE.match(statement)
    if found:
        touch(found.group(1).lower())
