"""Tantivy (an embedded search engine in Rust, the `tantivy` package) behind the SearchBackend interface.

PORTAL_SEARCH_BACKEND=tantivy: the same folder-and-worker model as Whoosh (one index folder under the
data folder, `portal worker` writes, web processes read, `portal reindex` rebuilds into a fresh
folder and swaps it in), with scoring, sorting and facet counting in compiled code. Text is analysed
in Python by our search language (app/search/language.py), exactly as for the Whoosh index, so
stemming, accent folding, CJK by character, phrases, prefixes and highlighting agree; Tantivy stores
the analysed words with positions (whitespace tokenizer) and scores them with BM25.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tantivy

from app.search import types as search_types
from app.search.folders import FolderIndex, fresh_folder, swap_in
from app.search.language import (
    PART_BREAK,
    SINGLE_VALUED,
    TAGS_REPEAT,
    TITLE_REPEAT,
    analysed,
    parse_tree,
    plain_words,
    suggest_words,
)
from app.search.types import FACET_FIELDS, Hit, QueryNode, SearchDoc, SearchQuery, SearchResult, stable_key

SCHEMA_VERSION = "tantivy-1"


def make_schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", tokenizer_name="whitespace", index_option="position")
    builder.add_text_field("words", tokenizer_name="whitespace", index_option="basic")
    for name in (*SINGLE_VALUED, "tag"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw")
    for name in ("created", "support", "key"):
        builder.add_integer_field(name, fast=True)
    return builder.build()


def _document(doc: SearchDoc) -> Any:
    tag_words = " ".join(t.replace("-", " ") for t in doc.tags)
    parts = [analysed(doc.title)] * TITLE_REPEAT + [analysed(tag_words)] * (TAGS_REPEAT if tag_words else 0)
    fields: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "text": PART_BREAK.join([*parts, analysed(doc.body)]),
        "words": plain_words(f"{doc.title} {tag_words} {doc.body[:400]}"),
        "tag": [t.lower() for t in doc.tags],
        "created": doc.created,
        "support": doc.support,
        "key": stable_key(doc.type, doc.entity_id),
    }
    for name in SINGLE_VALUED:
        value = getattr(doc, name)
        if value:
            fields[name] = value
    return tantivy.Document(**fields)


class TantivyBackend(FolderIndex):
    indexes_in_transaction = False  # `portal worker` (or each app's drainer) applies the outbox

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self._schema = make_schema()

    # --- writing (only the process that holds the indexer lock) -------------------------------------

    def apply(self, upserts: list[SearchDoc], deletes: list[str]) -> None:
        if not upserts and not deletes:
            return
        if self.status() != "ok":
            raise search_types.SearchUnavailable("the index is missing or outdated; run `portal reindex`")
        index = tantivy.Index.open(str(self.directory))
        writer = index.writer(heap_size=50_000_000, num_threads=1)
        try:
            for doc_id in [*deletes, *(d.doc_id for d in upserts)]:
                writer.delete_documents_by_term("doc_id", doc_id)
            for doc in upserts:
                writer.add_document(_document(doc))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # also lets go of Tantivy's own writer lock
        self._checked_at = 0.0

    def rebuild(self, docs: Iterable[SearchDoc], *, procs: int = 1) -> int:
        fresh = fresh_folder(self.directory)
        index = tantivy.Index(self._schema, path=str(fresh))
        writer = index.writer(heap_size=256_000_000, num_threads=max(procs, 1))
        count = 0
        try:
            for doc in docs:
                writer.add_document(_document(doc))
                count += 1
            writer.commit()
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        writer.wait_merging_threads()
        (fresh / "SCHEMA_VERSION").write_text(SCHEMA_VERSION)
        swap_in(fresh, self.directory)
        with self._lock:
            self._index = None
        return count

    # --- reading ------------------------------------------------------------------------------------

    def status(self) -> str:
        if not self.directory.exists() or not (self.directory / "meta.json").exists():
            return "missing"
        version = self.directory / "SCHEMA_VERSION"
        if not version.exists() or version.read_text().strip() != SCHEMA_VERSION:
            return "stale"
        try:
            self._searcher().search(tantivy.Query.all_query(), limit=1)
        except Exception:  # noqa: BLE001  a damaged index raises ValueError, OSError, ...
            with self._lock:
                self._index = None
            return "error"
        return "ok"

    def doc_ids(self) -> set[str]:
        searcher = self._searcher()
        found = searcher.search(tantivy.Query.all_query(), limit=max(searcher.num_docs, 1))
        return {searcher.doc(address)["doc_id"][0] for _score, address in found.hits}

    def _searcher(self) -> Any:
        """A searcher over the last commit; the folder is reopened when a rebuild swapped it."""
        with self._lock:
            now = time.monotonic()
            if self._index is None or now - self._checked_at >= 0.25:
                stat = self.directory.stat()
                identity = (stat.st_ino, stat.st_dev)
                if self._index is None or identity != self._identity:
                    self._index = tantivy.Index.open(str(self.directory))
                    self._identity = identity
                else:
                    self._index.reload()
                self._checked_at = now
            return self._index.searcher()

    def search(self, query: SearchQuery) -> SearchResult:
        tree = parse_tree(query.text)
        if not self.directory.exists():
            raise search_types.SearchUnavailable("the search index has not been built yet")
        try:
            searcher = self._searcher()
            return self._run(searcher, tree, query)
        except (search_types.QueryError, search_types.SearchUnavailable):
            raise
        except Exception as exc:  # noqa: BLE001
            with self._lock:
                self._index = None
            raise search_types.SearchUnavailable("search is temporarily unavailable") from exc

    def _run(self, searcher: Any, tree: Any, query: SearchQuery) -> SearchResult:
        schema = self._schema
        musts: list[Any] = [] if tree.positive is None else [self._query(tree.positive)]
        for name, value in sorted(query.filters.items()):
            if value and name in FACET_FIELDS:
                term = tantivy.Query.term_query(schema, name, value.lower() if name == "tag" else value)
                musts.append(tantivy.Query.const_score_query(term, 0.0))
        must_nots = [self._query(n) for n in tree.excluded]
        if query.published_only:
            must_nots.append(tantivy.Query.term_query(schema, "status", "archived"))
        if not musts:
            musts.append(tantivy.Query.all_query())
        clauses = [(tantivy.Occur.Must, q) for q in musts] + [(tantivy.Occur.MustNot, q) for q in must_nots]
        combined = clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)
        limit = query.page * query.per_page
        by_date = query.sort == "newest" or (tree.positive is None and query.sort == "relevance")
        field = "created" if by_date else ("support" if query.sort == "support" else None)
        # The top `limit`, then more while the last fetched still ties with the page's last: the
        # order of tied documents inside Tantivy depends on how segments were written, so ties are
        # settled here by creation time and the stable key (newer records first).
        fetch = limit + 1
        while True:
            if field is None:
                found = searcher.search(combined, limit=fetch, count=True)
            else:
                found = searcher.search(
                    combined, limit=fetch, count=True, order_by_field=field, order=tantivy.Order.Desc
                )
            hits = found.hits
            if len(hits) < fetch or hits[limit - 1][0] != hits[-1][0] or fetch >= found.count:
                break
            fetch = found.count if fetch * 4 >= found.count else fetch * 4
        addresses = [address for _value, address in hits]
        keys = searcher.fast_field_values("key", addresses) if addresses else []
        if query.sort == "support":
            created = searcher.fast_field_values("created", addresses) if addresses else []
            order = sorted(range(len(hits)), key=lambda i: (-hits[i][0], -created[i], -keys[i]))
        else:
            order = sorted(range(len(hits)), key=lambda i: (-hits[i][0], -keys[i]))
        ranked = order[:limit]
        start = (query.page - 1) * query.per_page
        page = []
        for i in ranked[start:limit]:
            doc_id = searcher.doc(hits[i][1])["doc_id"][0]
            entity_type, _, entity_id = doc_id.partition(":")
            score = float(hits[i][0]) if field is None else 0.0
            page.append(Hit(doc_id=doc_id, type=entity_type, entity_id=int(entity_id), score=score))
        facets: dict[str, dict[str, int]] = {}
        if query.with_facets:
            spec = {name: {"terms": {"field": name, "size": 30}} for name in (*SINGLE_VALUED, "tag")}
            counted = searcher.aggregate(combined, spec)
            facets = {
                name: {
                    b["key"]: int(b["doc_count"])
                    for b in counted.get(name, {}).get("buckets", [])
                    if b["key"]
                }
                for name in FACET_FIELDS
            }
        suggestion = None if tree.positive is None else self._suggest(searcher, query.text)
        return SearchResult(
            total=int(found.count),
            hits=page,
            facets=facets,
            suggestion=suggestion,
            terms=tree.terms,
            prefixes=tree.prefixes,
        )

    def _query(self, node: QueryNode) -> Any:
        schema, kind = self._schema, node[0]
        if kind == "term":
            return tantivy.Query.term_query(schema, "text", node[1])
        if kind == "prefix":
            return tantivy.Query.regex_query(schema, "text", re.escape(node[1]) + ".*")
        if kind == "phrase":
            words = node[1]
            if not words:
                return tantivy.Query.empty_query()
            if len(words) == 1:
                return tantivy.Query.term_query(schema, "text", words[0])
            return tantivy.Query.phrase_query(schema, "text", words)
        if kind == "not":
            return tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, tantivy.Query.all_query()),
                    (tantivy.Occur.MustNot, self._query(node[1])),
                ]
            )
        children = [self._query(child) for child in node[1]]
        if not children:
            return tantivy.Query.empty_query()
        occur = tantivy.Occur.Must if kind == "and" else tantivy.Occur.Should
        return tantivy.Query.boolean_query([(occur, child) for child in children])

    def _suggest(self, searcher: Any, text: str) -> str | None:
        def closest(word: str) -> str | None:
            limit = 1 if len(word) <= 5 else 2
            candidates = searcher.terms_with_prefix("words", word[:1], limit=5000)
            best = min(
                (
                    (_distance(word, term, limit), -n, term)
                    for term, n in candidates
                    if abs(len(term) - len(word)) <= limit
                ),
                default=None,
            )
            return best[2] if best is not None and best[0] <= limit else None

        return suggest_words(text, known=lambda w: bool(searcher.doc_freq("words", w)), closest=closest)


def _distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, giving up (cap + 1) once it must exceed `cap`."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]
