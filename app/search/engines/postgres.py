"""PostgreSQL full-text search behind the same SearchBackend interface as Whoosh.

For several app nodes on one PostgreSQL (PORTAL_SEARCH_BACKEND=postgres): the index is a table in
the database itself, written in the same transaction as the change that caused it (see `write` and
app/search/outbox.py), so every node finds a write the moment it is committed, and there is no index
folder to share.

Text is analysed in Python by our search language (app/search/language.py), exactly as the Whoosh
index analyses it (lowercase, accents folded, stop words dropped, Porter stems, CJK by character),
and stored as a weighted tsvector of those words (title A, tags B, body C) with a GIN index; queries
in our syntax become tsquery text over the same words. "Did you mean" looks words up by trigram similarity
(pg_trgm) in a table of every word seen. Tables and extensions come from migration 0011.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.search.folders import held
from app.search.language import SINGLE_VALUED, analysed, parse_tree, suggest_words
from app.search.types import (
    FACET_FIELDS,
    Hit,
    QueryError,
    QueryNode,
    SearchDoc,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    stable_key,
)

# ts_rank weights for D, C, B, A: title counts most, then tags, then the body.
_WEIGHTS = "'{0.1, 0.3, 0.6, 1.0}'"
_BATCH = 1000
_LOCK_KEY = 0x1A51_6B7  # "insight loop search", any constant shared by every node

_UPSERT = text(
    """
    INSERT INTO search_document
        (doc_id, type, entity_id, kind, department, product_area, sentiment, status, tags,
         created, support, key, vector)
    VALUES
        (:doc_id, :type, :entity_id, :kind, :department, :product_area, :sentiment, :status,
         :tags, :created, :support, :key,
         setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :tag_words), 'B')
         || setweight(to_tsvector('simple', :body), 'C'))
    ON CONFLICT (doc_id) DO UPDATE SET
        type = EXCLUDED.type, entity_id = EXCLUDED.entity_id, kind = EXCLUDED.kind,
        department = EXCLUDED.department, product_area = EXCLUDED.product_area,
        sentiment = EXCLUDED.sentiment, status = EXCLUDED.status, tags = EXCLUDED.tags,
        created = EXCLUDED.created, support = EXCLUDED.support, key = EXCLUDED.key,
        vector = EXCLUDED.vector
    """
)
_WORDS = text("INSERT INTO search_word (word) SELECT unnest(CAST(:words AS text[])) ON CONFLICT DO NOTHING")


def _row(doc: SearchDoc) -> dict[str, Any]:
    tag_words = " ".join(t.replace("-", " ") for t in doc.tags)
    return {
        "doc_id": doc.doc_id,
        "type": doc.type,
        "entity_id": doc.entity_id,
        "kind": doc.kind,
        "department": doc.department,
        "product_area": doc.product_area,
        "sentiment": doc.sentiment,
        "status": doc.status,
        "tags": [t.lower() for t in doc.tags],
        "created": doc.created,
        "support": doc.support,
        "key": stable_key(doc.type, doc.entity_id),
        "title": analysed(doc.title),
        "tag_words": analysed(tag_words),
        "body": analysed(doc.body),
    }


def _spelling_words(doc: SearchDoc) -> set[str]:
    """Unstemmed words of the title, the tags and the start of the body, for 'did you mean'."""
    source = f"{doc.title} {' '.join(doc.tags)} {doc.body[:400]}"
    return {w.lower() for w in re.findall(r"\w{3,}", source) if not w.isdigit()}


class PostgresBackend:
    indexes_in_transaction = True  # see `write`: the outbox asks for it before each commit

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from app.core.db import get_engine

            self._engine = get_engine()
        return self._engine

    # --- writing ------------------------------------------------------------------------------------

    @contextmanager
    def indexer_lock(self, *, wait: float = 0) -> Iterator[bool]:
        """One worker at a time across all nodes drains the outbox (so a saved-search alert goes out
        once): a PostgreSQL advisory lock, held on its own connection. Changes themselves need no
        lock: they are indexed in their own transactions."""
        with self.engine.connect() as connection:

            def try_lock() -> bool:
                locked = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_KEY})
                return bool(locked.scalar())

            def unlock() -> None:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})

            with held(try_lock, unlock, wait=wait) as mine:
                yield mine

    def write(self, connection: Any, upserts: list[SearchDoc], deletes: list[str]) -> None:
        """Apply changes on `connection`, inside whatever transaction it is in."""
        if deletes:
            connection.execute(text("DELETE FROM search_document WHERE doc_id = ANY(:ids)"), {"ids": deletes})
        for start in range(0, len(upserts), _BATCH):
            batch = upserts[start : start + _BATCH]
            connection.execute(_UPSERT, [_row(doc) for doc in batch])
            words = sorted(set().union(*(_spelling_words(doc) for doc in batch)))
            if words:
                connection.execute(_WORDS, {"words": words})

    def apply(self, upserts: list[SearchDoc], deletes: list[str]) -> None:
        with self._guard(), self.engine.begin() as connection:
            self.write(connection, upserts, deletes)

    def rebuild(self, docs: Iterable[SearchDoc], *, procs: int = 1) -> int:
        """Everything again, in one transaction: readers see the old documents until it commits."""
        count = 0
        with self._guard(), self.engine.begin() as connection:
            connection.execute(text("DELETE FROM search_document"))
            batch: list[SearchDoc] = []
            for doc in docs:
                batch.append(doc)
                if len(batch) >= _BATCH:
                    self.write(connection, batch, [])
                    count += len(batch)
                    batch = []
            self.write(connection, batch, [])
            count += len(batch)
        return count

    # --- reading ------------------------------------------------------------------------------------

    def status(self) -> str:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT doc_id FROM search_document LIMIT 1"))
                connection.execute(text("SELECT similarity('a', 'b')"))
        except SQLAlchemyError:
            return "error"
        return "ok"

    def doc_ids(self) -> set[str]:
        with self.engine.connect() as connection:
            return {row[0] for row in connection.execute(text("SELECT doc_id FROM search_document"))}

    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse_for_tsquery(query.text)
        where = ["TRUE"]
        params: dict[str, Any] = {}
        if parsed.tsquery is not None:
            where.append("vector @@ CAST(:q AS tsquery)")
            params["q"] = parsed.tsquery
        for n, excluded in enumerate(parsed.excluded):
            where.append(f"NOT (vector @@ CAST(:x{n} AS tsquery))")
            params[f"x{n}"] = excluded
        if query.published_only:
            where.append("status <> 'archived'")
        for name, value in sorted(query.filters.items()):
            if not value or name not in FACET_FIELDS:
                continue
            if name == "tag":
                where.append("CAST(:f_tag AS text) = ANY(tags)")
                params["f_tag"] = value.lower()
            else:
                where.append(f"{name} = :f_{name}")
                params[f"f_{name}"] = value
        if query.sort == "newest" or (parsed.tsquery is None and query.sort == "relevance"):
            order = "created DESC, key DESC"
        elif query.sort == "support":
            order = "support DESC, created DESC, key DESC"
        else:
            order = "rank DESC, key DESC"
        rank = f"ts_rank({_WEIGHTS}, vector, CAST(:q AS tsquery))" if parsed.tsquery is not None else "0"
        params |= {"limit": query.per_page, "offset": (query.page - 1) * query.per_page}
        # One pass over the matching documents (testing and ranking their vectors is what costs),
        # then the page, the total and every facet from that one materialised set.
        facet_parts = (
            ", (SELECT json_agg(g) FROM (SELECT kind, department, product_area, sentiment, status,"
            " GROUPING(kind, department, product_area, sentiment, status) AS grouping, count(*) AS n"
            " FROM matched GROUP BY GROUPING SETS ((kind), (department), (product_area), (sentiment),"
            " (status))) g)"
            ", (SELECT json_agg(t) FROM (SELECT tag, count(*) AS n FROM matched, unnest(tags) AS tag"
            " GROUP BY tag ORDER BY n DESC, tag LIMIT 30) t)"
            if query.with_facets
            else ", NULL, NULL"
        )
        statement = text(
            "WITH matched AS MATERIALIZED (SELECT doc_id, type, entity_id, kind, department, product_area,"
            f" sentiment, status, tags, created, support, key, {rank} AS rank"
            f" FROM search_document WHERE {' AND '.join(where)})"  # our own fragments; values are bound
            " SELECT (SELECT json_agg(h) FROM (SELECT doc_id, type, entity_id, rank FROM matched"
            f" ORDER BY {order} LIMIT :limit OFFSET :offset) h), (SELECT count(*) FROM matched)"
            f"{facet_parts}"
        )
        with self._guard(), self.engine.connect() as connection:
            page, total, grouped, tags = connection.execute(statement, params).one()
            suggestion = None if parsed.tsquery is None else self._suggest(connection, query.text)
        hits = [
            Hit(doc_id=h["doc_id"], type=h["type"], entity_id=int(h["entity_id"]), score=float(h["rank"]))
            for h in page or []
        ]
        facets: dict[str, dict[str, int]] = {}
        if query.with_facets:
            facets = {name: {} for name in FACET_FIELDS}
            for row in grouped or []:
                # GROUPING() has a 0 bit for the column grouped by: kind is the highest bit, status bit 0.
                for bit, name in enumerate(reversed(SINGLE_VALUED)):
                    if not row["grouping"] & (1 << bit) and row[name]:
                        facets[name][row[name]] = int(row["n"])
            for name in SINGLE_VALUED:
                facets[name] = dict(sorted(facets[name].items(), key=lambda kv: (-kv[1], kv[0]))[:30])
            facets["tag"] = {t["tag"]: int(t["n"]) for t in tags or []}
        return SearchResult(
            total=int(total),
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            terms=parsed.terms,
            prefixes=parsed.prefixes,
        )

    def _suggest(self, connection: Any, text_: str) -> str | None:
        def known(word: str) -> bool:
            found = connection.execute(text("SELECT 1 FROM search_word WHERE word = :w"), {"w": word})
            return found.first() is not None

        def closest(word: str) -> str | None:
            best = connection.execute(
                text(
                    "SELECT word FROM search_word WHERE word % :w"
                    " ORDER BY similarity(word, :w) DESC, word LIMIT 1"
                ),
                {"w": word},
            ).first()
            return best[0] if best else None

        return suggest_words(text_, known=known, closest=closest)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except QueryError:
            raise
        except SQLAlchemyError as exc:
            raise SearchUnavailable("search is temporarily unavailable") from exc


@dataclass
class ParsedQuery:
    tsquery: str | None  # None: every document
    excluded: list[str]  # one tsquery per excluded part
    terms: set[str]
    prefixes: set[str]


def parse_for_tsquery(text: str) -> ParsedQuery:
    """The parsed query as PostgreSQL tsquery text over pre-analysed words."""
    tree = parse_tree(text)
    return ParsedQuery(
        None if tree.positive is None else _tsquery(tree.positive),
        [_tsquery(n) for n in tree.excluded],
        tree.terms,
        tree.prefixes,
    )


def _tsquery(node: QueryNode) -> str:
    kind = node[0]
    if kind == "term":
        return _lexeme(node[1])
    if kind == "prefix":
        return _lexeme(node[1]) + ":*"
    if kind == "phrase":
        return "(" + " <-> ".join(_lexeme(w) for w in node[1]) + ")" if node[1] else "''"
    if kind == "not":
        return "!" + _tsquery(node[1])
    parts = [_tsquery(child) for child in node[1]]
    return "(" + (" & " if kind == "and" else " | ").join(parts) + ")" if parts else "''"


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
