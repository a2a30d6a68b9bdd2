"""What every search engine shares: the document the index keeps of a record, the query, the
result, the errors, and the interface each engine (Whoosh, tantivy, PostgreSQL) implements.
No engine is imported here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.core.models import aware

MAX_QUERY_LENGTH = 200
FACET_FIELDS = ("kind", "department", "product_area", "tag", "sentiment", "status")


# Ties are broken by type, then by id: the same order whatever the order of indexing.
_TYPE_RANK = {"insight": 1, "proposal": 2, "comment": 3}


def stable_key(doc_type: str, entity_id: int) -> int:
    return _TYPE_RANK.get(doc_type, 9) * 2**48 + entity_id % 2**48


@dataclass
class SearchDoc:
    """What the index knows of one record; built by each domain's search.py from the database."""

    doc_id: str  # "insight:42"
    type: str
    entity_id: int
    kind: str
    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    department: str = ""
    product_area: str = ""
    sentiment: str = ""
    status: str = "published"
    created: int = 0  # unix seconds
    support: int = 0

    @classmethod
    def of(cls, entity: str, row: Any, **fields: Any) -> SearchDoc:
        """The document of `row`, a row of `entity` ("insight", "proposal", "comment"): its id and
        creation time come from the row; `kind` is the entity's unless given (insights have five)."""
        doc_id, created = f"{entity}:{row.id}", int(aware(row.created_at).timestamp())
        return cls(
            **{"kind": entity, **fields}, doc_id=doc_id, type=entity, entity_id=row.id, created=created
        )


@dataclass
class SearchQuery:
    text: str
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"  # relevance | newest | support
    page: int = 1
    per_page: int = 20
    published_only: bool = True
    with_facets: bool = True


@dataclass
class Hit:
    doc_id: str
    type: str
    entity_id: int
    score: float


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    terms: set[str]  # analysed query words, for highlighting
    prefixes: set[str]


class QueryError(ValueError):
    """The query cannot be run; the message says why in words a person understands."""


class SearchUnavailable(RuntimeError):
    """The index is missing or broken; pages keep working and `portal reindex` repairs it."""


class SearchBackend(Protocol):
    """An engine (app/search/engines). `indexes_in_transaction`: False for an engine that
    `portal worker` keeps up to date from the outbox; True for one whose `write` is also handed each
    change on the change's own connection, just before it commits (PostgreSQL)."""

    indexes_in_transaction: bool

    def apply(self, upserts: list[SearchDoc], deletes: list[str]) -> None: ...
    def rebuild(self, docs: Iterable[SearchDoc], *, procs: int = 1) -> int: ...
    def search(self, query: SearchQuery) -> SearchResult: ...
    def status(self) -> str: ...
    def doc_ids(self) -> set[str]: ...
    @contextmanager
    def indexer_lock(self, *, wait: float = 0) -> Iterator[bool]: ...


class IndexesInTransaction(SearchBackend, Protocol):
    def write(self, connection: Any, upserts: list[SearchDoc], deletes: list[str]) -> None: ...


# A parsed query as plain data, for engines other than Whoosh: ("term", word), ("prefix", start),
# ("phrase", [words]), ("and", [nodes]), ("or", [nodes]), ("not", node); words already analysed.
QueryNode = tuple[Any, ...]
