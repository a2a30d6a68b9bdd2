"""What a domain hands to search: one `Searchable` per kind of record (insight, proposal, comment).

Each domain's search.py declares, in one place, what the index knows of its records (`docs_for`,
read from the database, the truth) and how its hits are shown to a person (`show`: only those this
person may see, with title, address and the text the snippet is cut from). app/registry.py hands the
declarations in (`register`); the search service and the outbox read them here and import no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from app.search.types import SearchDoc

if TYPE_CHECKING:
    from app.people.models import Person

# The documents for these ids; None for an id whose record is gone (or no longer indexed).
DocsFor = Callable[[Session, Sequence[int]], dict[int, SearchDoc | None]]


@dataclass(frozen=True)
class Shown:
    """A hit as a person sees it on the search page, in the header suggestions and in the API."""

    kind: str  # the insight's kind, or "proposal", "comment"
    title: str
    url: str
    text: str  # the plain text the snippet is cut from, with the matched words marked
    record: Any = None  # the row itself, for templates that show more of it (insight cards)


# Of these ids, those `actor` may see, as shown; an id left out is not shown.
ShowFor = Callable[[Session, "Person", Sequence[int]], dict[int, Shown]]


@dataclass(frozen=True)
class Searchable:
    entity: str  # the document type: "insight" (the part before ":" in a doc_id)
    id_column: Any  # the primary key column, to walk every record in a rebuild
    docs_for: DocsFor
    show: ShowFor
    # Whether a person may see this kind's records that are not published (None: all are published).
    sees_unpublished: Callable[[Person], bool] | None = None

    def all_docs(self, session: Session, *, chunk: int = 1000) -> Iterator[SearchDoc]:
        """Every record's document, `chunk` ids at a time, so a rebuild never holds the whole table."""
        last = 0
        while True:
            ids = [
                i
                for i in session.exec(
                    select(self.id_column).where(self.id_column > last).order_by(self.id_column).limit(chunk)
                ).all()
                if i is not None
            ]
            if not ids:
                return
            for doc in self.docs_for(session, ids).values():
                if doc is not None:
                    yield doc
            last = ids[-1]
            session.expunge_all()


_registered: dict[str, Searchable] = {}


def register(*searchables: Searchable) -> None:
    """Make these kinds of record searchable (app/registry.py hands in every domain's)."""
    for searchable in searchables:
        _registered[searchable.entity] = searchable


def registered() -> dict[str, Searchable]:
    if not _registered:
        raise RuntimeError("no searchable records registered: import app.registry first")
    return _registered


def documents_for(session: Session, changed: Iterable[tuple[str, int]]) -> tuple[list[SearchDoc], list[str]]:
    """The documents to write for changed records, read from the database, and those to delete."""
    by_type: dict[str, set[int]] = {}
    for entity_type, entity_id in changed:
        by_type.setdefault(entity_type, set()).add(entity_id)
    upserts: list[SearchDoc] = []
    deletes: list[str] = []
    for entity_type, ids in by_type.items():
        for entity_id, doc in registered()[entity_type].docs_for(session, sorted(ids)).items():
            if doc is None:
                deletes.append(f"{entity_type}:{entity_id}")
            else:
                upserts.append(doc)
    return upserts, deletes
