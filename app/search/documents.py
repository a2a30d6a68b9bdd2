"""Shared by every domain's search.py: walking all records in chunks for a rebuild."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlmodel import Session, select

from app.search.types import SearchDoc


def all_docs_in_chunks(
    session: Session,
    id_column: Any,
    docs_for: Callable[[Session, Sequence[int]], dict[int, SearchDoc | None]],
    *,
    chunk: int = 1000,
) -> Iterator[SearchDoc]:
    """Every record's document, `chunk` ids at a time, so a rebuild never holds the whole table."""
    last = 0
    while True:
        ids = [
            i
            for i in session.exec(
                select(id_column).where(id_column > last).order_by(id_column).limit(chunk)
            ).all()
            if i is not None
        ]
        if not ids:
            return
        for doc in docs_for(session, ids).values():
            if doc is not None:
                yield doc
        last = ids[-1]
        session.expunge_all()
