"""The Whoosh engine (PORTAL_SEARCH_BACKEND=whoosh, the default): an index folder on local disk.
With app/search/language.py (our query language, built on Whoosh's analyzers), the only module that
imports whoosh.

What makes Whoosh fast enough here (measured by `make bench`):
- one searcher per process, kept open and refreshed only when the index changed on disk;
- top-N collection for the 20 hits shown; facets counted from per-segment value tables built once
  per segment (segments never change), without scoring every match;
- snippets highlighted from the database text of the shown hits only (see `analyze`).
"""

from __future__ import annotations

import heapq
import logging
import shutil
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import columns, scoring
from whoosh import query as wq
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import LockError

from app.search import language
from app.search.folders import FolderIndex, fresh_folder, swap_in
from app.search.language import PART_BREAK, SINGLE_VALUED, TAGS_REPEAT, TITLE_REPEAT
from app.search.types import (
    FACET_FIELDS,
    Hit,
    QueryError,
    SearchDoc,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    stable_key,
)

log = logging.getLogger("portal.search")

SCHEMA_VERSION = "6"  # 6: the stable tie-break key column
MAX_PREFIX_TERMS = 12  # a prefix* stands for at most this many words: the most frequent ones
K1 = 1.2


class _Bm25WithoutLength(scoring.WeightingModel):
    """BM25 without length normalisation (B = 0): customer texts are short. Whoosh's own BM25F
    still reads every matching document's field length when B = 0 and then multiplies it by zero;
    this scorer never reads it. The scores are the same numbers (tf (K1 + 1) / (tf + K1) x idf)."""

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        idf = searcher.get_parent().idf(fieldname, text)
        return _TfScorer(idf, searcher.term_info(fieldname, text).max_weight())


class _TfScorer(scoring.BaseScorer):
    def __init__(self, idf: float, max_weight: float) -> None:
        self.idf = idf
        self._max = self._score(max_weight)

    def _score(self, weight: float) -> float:
        return float(self.idf * ((weight * (K1 + 1)) / (weight + K1 * 1.0)))

    def supports_block_quality(self) -> bool:
        return True

    def score(self, matcher: Any) -> float:
        return self._score(matcher.weight())

    def max_quality(self) -> float:
        return self._max

    def block_quality(self, matcher: Any) -> float:
        return self._score(matcher.block_max_weight())


_WEIGHTING = _Bm25WithoutLength()


def make_schema() -> Schema:
    text = language.text_analyzer()
    return Schema(
        doc_id=ID(unique=True, stored=True),
        kind=ID(),
        text=TEXT(analyzer=text),
        words=TEXT(analyzer=language.word_analyzer(), phrase=False, spelling=True),
        tag=KEYWORD(commas=True, lowercase=True),
        department=ID(),
        product_area=ID(),
        sentiment=ID(),
        status=ID(),
        # Sort keys live in columns only: NUMERIC fields would also index several terms per value.
        created=COLUMN(columns.NumericColumn("q", default=0)),
        support=COLUMN(columns.NumericColumn("i", default=0)),
        # A number unique to each record, for breaking ties the same way in every index build.
        key=COLUMN(columns.NumericColumn("q", default=0)),
    )


def _storage(directory: Path) -> FileStorage:
    """Index files are read with plain reads, never memory-mapped: a segment file truncated under a
    mapped reader kills the whole process with SIGBUS (no exception, no log); read normally, the
    same damage raises an error that search catches, and the portal keeps serving pages."""
    return FileStorage(str(directory), supports_mmap=False)


class WhooshBackend(FolderIndex):
    indexes_in_transaction = False  # `portal worker` (or each app's drainer) applies the outbox

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self._searcher: Any = None
        self._segment_facets: dict[str, _SegmentFacets] = {}
        self._docsets: dict[tuple[str, str], set[int]] = {}
        self._docsets_for: Any = None
        self._sort_table_cache = _SortTable([], [], [])
        self._sort_table_for: Any = None

    # --- writing (only the process that holds the indexer lock) -----------------------------------

    def apply(self, upserts: list[SearchDoc], deletes: list[str]) -> None:
        """Apply changes in one commit; the caller holds the indexer lock."""
        if not upserts and not deletes:
            return
        ix = self._open_for_writing()
        try:
            writer = ix.writer(timeout=5.0)
        except LockError as exc:
            raise SearchUnavailable("the index is being written by another process") from exc
        try:
            for doc_id in deletes:
                writer.delete_by_term("doc_id", doc_id)
            for doc in upserts:
                writer.update_document(**_fields(doc))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        self._checked_at = 0.0  # this process wrote: look again on the next search

    def rebuild(self, docs: Iterable[SearchDoc], *, procs: int = 1) -> int:
        """Build a fresh index beside the live one, then swap it in (the caller holds the lock).
        `procs` > 1 indexes in that many processes (forked: only from a single-threaded command)."""
        fresh = fresh_folder(self.directory)
        ix = _storage(fresh).create_index(make_schema())
        # One indexing process per core (measured: 831 -> 1,507 docs/s on 2 cores); the segments
        # are left unmerged, which searching handles fine.
        writer = (
            ix.writer(procs=procs, limitmb=128, multisegment=True) if procs > 1 else ix.writer(limitmb=256)
        )
        count = 0
        try:
            for doc in docs:
                writer.add_document(**_fields(doc))
                count += 1
            writer.commit()
        except BaseException:
            writer.cancel()
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        (fresh / "SCHEMA_VERSION").write_text(SCHEMA_VERSION)
        swap_in(fresh, self.directory)
        with self._lock:
            self._close()
        return count

    def _open_for_writing(self) -> Any:
        if self.status() != "ok":
            raise SearchUnavailable("the index is missing or outdated; run `portal reindex`")
        return _storage(self.directory).open_index()

    # --- reading ----------------------------------------------------------------------------------

    def status(self) -> str:
        """ok | missing | stale (built by another schema version) | error (unreadable)."""
        if not self.directory.exists():
            return "missing"
        try:
            if not _storage(self.directory).index_exists():
                return "missing"
        except Exception:  # noqa: BLE001  a damaged table of contents
            return "error"
        version = self.directory / "SCHEMA_VERSION"
        if not version.exists() or version.read_text().strip() != SCHEMA_VERSION:
            return "stale"
        try:
            with self._lock:
                searcher = self._current_searcher()
                # Read a posting list and a stored document: a damaged segment file fails here
                # rather than in the middle of someone's search.
                for docnum in searcher.docs_for_query(wq.Term("status", "published")):
                    searcher.stored_fields(docnum)
                    break
        except Exception:  # noqa: BLE001  a broken index raises EOFError, UnpicklingError, OSError, ...
            with self._lock:
                self._close()
            return "error"
        return "ok"

    def doc_ids(self) -> set[str]:
        with self._lock:
            searcher = self._current_searcher()
            reader = searcher.reader()
            return {reader.stored_fields(docnum)["doc_id"] for docnum in reader.all_doc_ids()}

    def _close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = self._index = None
        self._identity = None
        self._segment_facets.clear()

    def _current_searcher(self) -> Any:
        """The kept-open searcher; reopened only when the folder or its last commit changed."""
        now = time.monotonic()
        if self._searcher is not None and now - self._checked_at < 0.25:
            return self._searcher
        self._checked_at = now
        stat = self.directory.stat()
        identity = (stat.st_ino, stat.st_dev)
        if self._searcher is None or identity != self._identity:
            self._close()
            self._index = _storage(self.directory).open_index()
            self._searcher = self._index.searcher(weighting=_WEIGHTING)
            self._identity = identity
        elif not self._searcher.up_to_date():
            # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it fails on an empty index and keeps
            # reusing segment readers whose deletions changed (a deleted document stayed findable).
            self._searcher.close()
            self._searcher = self._index.searcher(weighting=_WEIGHTING)
        return self._searcher

    def search(self, query: SearchQuery) -> SearchResult:
        text = " ".join(query.text.split())
        parsed = language.parse(text)
        if not self.directory.exists():
            raise SearchUnavailable("the search index has not been built yet")
        try:
            with self._lock:
                searcher = self._current_searcher()
                return self._run(searcher, parsed, query, text)
        except (QueryError, SearchUnavailable):
            raise
        except Exception as exc:  # noqa: BLE001  see status()
            log.error("search failed", exc_info=exc, extra={"event": "search.error"})
            with self._lock:
                self._close()
            raise SearchUnavailable("search is temporarily unavailable") from exc

    def _run(self, searcher: Any, parsed: Any, query: SearchQuery, text: str) -> SearchResult:
        everything = isinstance(parsed, wq.Every)
        limit = query.page * query.per_page
        by_date = query.sort == "newest" or (everything and query.sort == "relevance")
        positive, negated = language.split_negations(_bound_prefixes(parsed, searcher.reader()))
        # Filters and exclusions become document sets (cached per searcher) instead of query
        # clauses: intersecting with a long posting list, or walking an inverse matcher over
        # every document, cost more than the search itself.
        allowed = self._docset_for_filters(searcher, query)
        if allowed is not None and not allowed:
            # A filter nothing matches (an unknown kind, say) finds nothing. Whoosh would read an
            # empty filter set as "no filter" and answer hits with a total of 0.
            return SearchResult(total=0, hits=[], facets={}, suggestion=None, terms=set(), prefixes=set())
        # Whoosh takes plain sets here; the cached ones are never changed in place.
        excluded: set[int] = self._docset(searcher, ("status", "archived")) if query.published_only else set()
        if negated:
            excluded = excluded.union(*(searcher.docs_for_query(n) for n in negated))
        matched: list[int] | None = None  # every matching document, when it had to be listed anyway
        results: Any = None
        table = self._sort_table(searcher)
        # Every order ends with the stable key (newer records first), so equal scores, dates or
        # support counts come out in the same order from an index kept up to date change by change
        # and from a fresh (parallel) rebuild. Dates, support and keys come from cached tables:
        # reading them from the index's columns document by document cost more than the search.
        if by_date or query.sort == "support":
            matched = self._matched(searcher, positive, everything, allowed, excluded)
            created, support, key = table.created, table.support, table.key
            if by_date:
                order = heapq.nsmallest(limit, matched, key=lambda d: (-created[d], -key[d]))
            else:
                order = heapq.nsmallest(limit, matched, key=lambda d: (-support[d], -created[d], -key[d]))
            ranked = [(docnum, 0.0) for docnum in order]
        else:
            # Best match. Whoosh's top-N is exact for scores above the N-th, but among documents
            # tied with the N-th it keeps whichever were indexed first; ties are common (documents
            # with the same words score the same). So fetch more until the last one fetched scores
            # below the page's last score: then every document tied with it is in hand, and
            # ordering by (score, key) is the same whatever the order of indexing.
            def scored(limit: int | None) -> Any:
                return searcher.search(
                    positive, limit=limit, terms=False, optimize=True, filter=allowed, mask=excluded or None
                )

            # One larger fetch settles most ties; a tie larger still (a common word at 100k, where
            # every further fetch would rescore thousands) scores every match once instead.
            results = None
            for fetch in (limit + 1, (limit + 1) * 8, None):
                results = scored(fetch)
                top = list(results.items())
                if fetch is None or len(top) < fetch or top[limit - 1][1] != top[-1][1]:
                    break
            key = table.key
            ranked = heapq.nsmallest(limit, top, key=lambda pair: (-(pair[1] or 0.0), -key[pair[0]]))
        start = (query.page - 1) * query.per_page
        hits = []
        for docnum, score in ranked[start:limit]:
            doc_id = searcher.stored_fields(docnum)["doc_id"]
            entity_type, _, entity_id = doc_id.partition(":")
            hits.append(
                Hit(doc_id=doc_id, type=entity_type, entity_id=int(entity_id), score=float(score or 0.0))
            )
        facets: dict[str, dict[str, int]] = {}
        if query.with_facets:
            if matched is None:
                matched = self._matched(searcher, positive, everything, allowed, excluded)
            facets, total = self._count_facets(searcher, matched)
        else:  # counting every match costs a pass of its own: only when no facets counted them
            total = len(matched) if matched is not None else len(results)
        terms, prefixes = language.query_words(parsed)
        suggestion = None if everything else self._suggest(searcher, text)
        return SearchResult(
            total=total, hits=hits, facets=facets, suggestion=suggestion, terms=terms, prefixes=prefixes
        )

    def _matched(
        self, searcher: Any, positive: Any, everything: bool, allowed: set[int] | None, excluded: set[int]
    ) -> list[int]:
        """Every matching document number, in order, with the filters and exclusions applied."""
        if everything and allowed is not None:
            return sorted(allowed - excluded)
        return [
            d
            for d in searcher.docs_for_query(positive)
            if d not in excluded and (allowed is None or d in allowed)
        ]

    def _docset(self, searcher: Any, key: tuple[str, str]) -> set[int]:
        """The documents with field = value, cached until the index changes."""
        if self._docsets_for is not searcher:
            self._docsets.clear()
            self._docsets_for = searcher
        found = self._docsets.get(key)
        if found is None:
            found = set(searcher.docs_for_query(wq.Term(*key)))
            if len(self._docsets) > 256:
                self._docsets.clear()
            self._docsets[key] = found
        return found

    def _docset_for_filters(self, searcher: Any, query: SearchQuery) -> set[int] | None:
        keys = [
            (name, value.lower() if name == "tag" else value)
            for name, value in sorted(query.filters.items())
            if value and name in FACET_FIELDS
        ]
        if not keys:
            return None
        sets = sorted((self._docset(searcher, key) for key in keys), key=len)
        result = sets[0]
        for other in sets[1:]:
            result = result & other
        return result

    def _count_facets(self, searcher: Any, matched: Iterable[int]) -> tuple[dict[str, dict[str, int]], int]:
        tables = self._facet_tables(searcher)
        counters: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
        total = 0
        # Leaf searchers are ordered by offset; walk the sorted docnums through them once.
        bounds = [(offset, offset + table.size, table) for offset, table in tables]
        position = 0
        single = [(name, counters[name]) for name in SINGLE_VALUED]
        tag_counter = counters["tag"]
        for docnum in matched:
            total += 1
            while docnum >= bounds[position][1]:
                position += 1
            offset, _end, table = bounds[position]
            local = docnum - offset
            for name, counter in single:
                value = table.values[name][local]
                if value:
                    counter[value] += 1
            tags = table.tags[local]
            if tags:
                tag_counter.update(tags)
        return {name: dict(counter.most_common(30)) for name, counter in counters.items()}, total

    def _sort_table(self, searcher: Any) -> _SortTable:
        """Creation time, support and stable key of every document by docnum (cached per searcher)."""
        if self._sort_table_for is not searcher:
            table = _SortTable([], [], [])
            for _offset, segment in self._facet_tables(searcher):  # in docnum order, contiguous
                table.created.extend(segment.created)
                table.support.extend(segment.support)
                table.key.extend(segment.keys)
            self._sort_table_cache, self._sort_table_for = table, searcher
        return self._sort_table_cache

    def _facet_tables(self, searcher: Any) -> list[tuple[int, _SegmentFacets]]:
        tables = []
        live: set[str] = set()
        for leaf, offset in _leaves(searcher):
            reader = leaf.reader()
            key = _segment_key(reader)
            live.add(key)
            table = self._segment_facets.get(key)
            if table is None:
                table = _SegmentFacets.build(reader)
                self._segment_facets[key] = table
            tables.append((offset, table))
        for stale in set(self._segment_facets) - live:
            del self._segment_facets[stale]
        return tables

    def _suggest(self, searcher: Any, text: str) -> str | None:
        reader = searcher.reader()
        corrector = searcher.corrector("words")

        def closest(word: str) -> str | None:
            found = corrector.suggest(word, limit=1, maxdist=1 if len(word) <= 5 else 2)
            return found[0] if found else None

        return language.suggest_words(
            text, known=lambda w: bool(reader.frequency("words", w)), closest=closest
        )


@dataclass
class _SegmentFacets:
    """Facet values per document of one (immutable) segment."""

    size: int
    values: dict[str, list[str | None]]
    tags: list[list[str] | None]
    keys: list[int]  # the stable tie-break key of each document
    created: list[int]
    support: list[int]

    @classmethod
    def build(cls, reader: Any) -> _SegmentFacets:
        size = reader.doc_count_all()
        values: dict[str, list[str | None]] = {}
        for name in SINGLE_VALUED:
            column: list[str | None] = [None] * size
            if name in reader.indexed_field_names():
                for term in reader.lexicon(name):
                    value = term.decode("utf-8") if isinstance(term, bytes) else term
                    for docnum in reader.postings(name, term).all_ids():
                        column[docnum] = value
            values[name] = column
        tags: list[list[str] | None] = [None] * size
        if "tag" in reader.indexed_field_names():
            for term in reader.lexicon("tag"):
                value = term.decode("utf-8") if isinstance(term, bytes) else term
                for docnum in reader.postings("tag", term).all_ids():
                    existing = tags[docnum]
                    if existing is None:
                        tags[docnum] = [value]
                    else:
                        existing.append(value)
        numbers = {name: _column_values(reader, name, size) for name in ("key", "created", "support")}
        return cls(
            size=size,
            values=values,
            tags=tags,
            keys=numbers["key"],
            created=numbers["created"],
            support=numbers["support"],
        )


@dataclass
class _SortTable:
    created: list[int]
    support: list[int]
    key: list[int]


def _column_values(reader: Any, name: str, size: int) -> list[int]:
    if not reader.has_column(name):
        return [0] * size
    column = reader.column_reader(name)
    return [int(column[docnum]) for docnum in range(size)]


def _bound_prefixes(node: Any, reader: Any) -> Any:
    """A prefix* becomes its most frequent words only, so `co*` cannot expand to thousands."""
    if isinstance(node, wq.Prefix):
        words = list(reader.expand_prefix(node.fieldname, node.text))
        if len(words) <= MAX_PREFIX_TERMS:
            return node
        words.sort(key=lambda w: reader.doc_frequency(node.fieldname, w), reverse=True)
        return wq.Or([wq.Term(node.fieldname, w) for w in words[:MAX_PREFIX_TERMS]])
    return node if node.is_leaf() else node.apply(lambda child: _bound_prefixes(child, reader))


def _leaves(searcher: Any) -> list[tuple[Any, int]]:
    leaves = searcher.leaf_searchers()
    return [(leaf, offset) for leaf, offset in leaves]


def _segment_key(reader: Any) -> str:
    segment = reader.segment() if hasattr(reader, "segment") else None
    deleted = reader.deleted_count() if hasattr(reader, "deleted_count") else 0
    name = segment.segment_id() if segment is not None else str(id(reader))
    return f"{name}:{deleted}"


def _fields(doc: SearchDoc) -> dict[str, Any]:
    tags_text = " ".join(t.replace("-", " ") for t in doc.tags)
    parts = [doc.title] * TITLE_REPEAT + ([tags_text] * TAGS_REPEAT if tags_text else []) + [doc.body]
    return {
        "doc_id": doc.doc_id,
        "kind": doc.kind,
        "text": PART_BREAK.join(parts),
        # The spelling dictionary: every word of titles and tags, and the start of each body.
        "words": f"{doc.title} {tags_text} {doc.body[:400]}",
        "tag": ",".join(doc.tags),
        "department": doc.department,
        "product_area": doc.product_area,
        "sentiment": doc.sentiment,
        "status": doc.status,
        "created": doc.created,
        "support": doc.support,
        "key": stable_key(doc.type, doc.entity_id),
    }
