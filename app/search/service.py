"""The search service: which engine, keeping the index in step with the database (drain, reindex,
status), and searching (query, load the shown hits, highlight). It imports no domain: each domain's
`Searchable` (what is indexed, how a hit is shown) is handed in by app/registry.py (see
app/search/searchable.py). The database decides what each person may see; the index only finds."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from app.core import db
from app.core import outbox as events
from app.core.config import get_settings
from app.search import engines, language, outbox
from app.search.searchable import documents_for, registered
from app.search.types import (
    FACET_FIELDS,
    Hit,
    QueryError,
    SearchBackend,
    SearchDoc,
    SearchQuery,
    SearchUnavailable,
)

if TYPE_CHECKING:
    from app.people.models import Person

log = logging.getLogger("portal.search")

INDEXED_TOPIC = "search.indexed"  # + ".insight": new insights are in the index (app/core/outbox.py)

__all__ = ["QueryError", "SearchUnavailable", "drain", "get_backend", "reindex", "search"]


@lru_cache
def get_backend() -> SearchBackend:
    """This process's engine, as PORTAL_SEARCH_BACKEND names it (app/search/engines)."""
    return engines.configured().open(get_settings().data_dir)


# --- keeping the index in step with the database ------------------------------------------------


def drain(
    session: Session,
    *,
    backend: SearchBackend | None = None,
    batch: int = 2000,
    wait: float = 0,
    reading: Session | None = None,
) -> int:
    """Apply pending outbox rows to the index. Returns how many were applied; 0 when another process
    is the indexer right now (nobody waits for the writer).

    With `reading` (a session on the read engine), everything slow happens outside a write
    transaction: the rows are read there, the index is written with no transaction open, and the
    write session only marks the rows done, in a short transaction per batch. (On SQLite the drain
    after a 50,000-row import otherwise held the write lock for seconds at a time and every comment
    meanwhile failed.)"""
    backend = backend or get_backend()
    reader = reading or session
    applied = 0
    with backend.indexer_lock(wait=wait) as mine:
        if not mine:
            return 0
        if backend.status() in ("missing", "stale"):
            _rebuild_locked(session, backend, reading=reading)
        while rows := outbox.pending(reader, limit=batch):
            ids = [r.id for r in rows if r.id is not None]
            try:
                upserts, deletes = documents_for(reader, [(r.entity_type, r.entity_id) for r in rows])
                _end_read(reader, session)
                # A crash after apply and before the mark re-applies the same rows: harmless.
                backend.apply(upserts, deletes)
            except Exception as exc:
                _end_read(reader, session)
                outbox.record_failure(session, ids, exc)
                raise
            outbox.mark_processed(session, ids)
            _announce_new_records(session, rows)
            db.commit(session)
            applied += len(rows)
    return applied


def _end_read(reader: Session, session: Session) -> None:
    """End the read transaction of a separate reading session (on SQLite it pins the WAL)."""
    if reader is not session:
        reader.rollback()


def _announce_new_records(session: Session, rows: Sequence[Any]) -> None:
    """Once the index has new records, an event for whoever acts on them (the saved-search alerts
    of insights: `search.indexed.insight`), in the transaction that marks the rows done."""
    created: dict[str, list[int]] = {}
    for row in rows:
        if row.op == "create":
            created.setdefault(row.entity_type, []).append(row.entity_id)
    for entity, ids in created.items():
        topic = f"{INDEXED_TOPIC}.{entity}"
        if events.has_consumer(topic):
            events.emit(session, topic, {"ids": sorted(set(ids))})


def reindex(
    session: Session,
    *,
    backend: SearchBackend | None = None,
    wait: float = 60,
    procs: int = 1,
    reading: Session | None = None,
) -> int:
    """Rebuild the whole index from the database into a fresh folder, swap it in, then replay what
    arrived meanwhile."""
    backend = backend or get_backend()
    with backend.indexer_lock(wait=wait) as mine:
        if not mine:
            raise SearchUnavailable("another process is indexing; try again in a moment")
        count = _rebuild_locked(session, backend, procs=procs, reading=reading)
    drain(session, backend=backend, wait=wait, reading=reading)
    return count


def _rebuild_locked(
    session: Session, backend: SearchBackend, *, procs: int = 1, reading: Session | None = None
) -> int:
    reader = reading or session
    noted = outbox.max_id(reader)

    def everything() -> Iterator[SearchDoc]:
        for searchable in registered().values():
            yield from searchable.all_docs(reader)

    count = backend.rebuild(everything(), procs=procs)
    processed = [r.id for r in outbox.pending(reader, limit=1_000_000) if r.id is not None and r.id <= noted]
    _end_read(reader, session)
    for start in range(0, len(processed), 5000):
        outbox.mark_processed(session, processed[start : start + 5000])
        db.commit(session)  # short write transactions, one per 5,000 rows
    log.info("search index rebuilt", extra={"event": "search.rebuilt"})
    return count


def index_status() -> str:
    try:
        return get_backend().status()
    except Exception:  # noqa: BLE001
        return "error"


# --- searching -----------------------------------------------------------------------------------


@dataclass
class Segment:
    text: str
    mark: bool


@dataclass
class HitView:
    type: str
    id: int
    kind: str
    title: str
    url: str
    segments: list[Segment]
    record: Any = None
    score: float = 0.0  # relevance as the engine ranked it (0 when sorted by date or support)

    @property
    def snippet(self) -> str:
        """HTML with <mark> around the matched words; every piece of text escaped."""
        return "".join(
            f"<mark>{html.escape(s.text)}</mark>" if s.mark else html.escape(s.text) for s in self.segments
        )


@dataclass
class SearchPage:
    query: str
    total: int
    page: int
    pages: int
    hits: list[HitView]
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"
    corrected_from: str = ""  # the words typed, when nothing matched them and the suggestion is shown


SORTS = ("relevance", "newest", "support")


def search(
    session: Session,
    *,
    actor: Person,
    text: str,
    filters: dict[str, str] | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    with_facets: bool = True,
    backend: SearchBackend | None = None,
    use_suggestion: bool = False,
) -> SearchPage:
    """One page of results. With `use_suggestion` (the search page), when the words find nothing and
    the engine has a "did you mean", the suggestion's results come at once (`corrected_from` says
    what was typed); the API and the pickers get the words' own results and the suggestion."""
    found = _search(
        session, actor=actor, text=text, filters=filters, sort=sort, page=page, per_page=per_page,
        with_facets=with_facets, backend=backend,
    )  # fmt: skip
    if not use_suggestion or found.total or not found.suggestion or found.suggestion == text:
        return found
    corrected = _search(
        session, actor=actor, text=found.suggestion, filters=filters, sort=sort, page=page,
        per_page=per_page, with_facets=with_facets, backend=backend,
    )  # fmt: skip
    if not corrected.total:
        return found
    corrected.corrected_from, corrected.suggestion = text, None
    return corrected


def _search(
    session: Session,
    *,
    actor: Person,
    text: str,
    filters: dict[str, str] | None,
    sort: str,
    page: int,
    per_page: int,
    with_facets: bool,
    backend: SearchBackend | None,
) -> SearchPage:
    backend = backend or get_backend()
    clean_filters = {k: v[:120] for k, v in (filters or {}).items() if k in FACET_FIELDS and v}
    # The index hides what is not published (archived insights and the comments on them) unless
    # every kind of record that has unpublished ones lets this person see them.
    published_only = not all(
        s.sees_unpublished(actor) for s in registered().values() if s.sees_unpublished is not None
    )
    result = backend.search(
        SearchQuery(
            text=text,
            filters=clean_filters,
            sort=sort if sort in SORTS else "relevance",
            page=max(page, 1),
            per_page=per_page,
            published_only=published_only,
            with_facets=with_facets,
        )
    )
    hits = _load_hits(session, actor, result.hits, result.terms, result.prefixes)
    return SearchPage(
        query=text,
        total=result.total,
        page=max(page, 1),
        pages=max((result.total + per_page - 1) // per_page, 1),
        hits=hits,
        facets=result.facets,
        suggestion=result.suggestion,
        filters=clean_filters,
        sort=sort,
    )


def _load_hits(
    session: Session,
    actor: Person,
    hits: Sequence[Hit],
    terms: set[str],
    prefixes: set[str],
) -> list[HitView]:
    """Load the shown hits from the database, through each kind's visibility rule, in rank order."""
    shown = {
        entity: searchable.show(session, actor, ids)
        for entity, searchable in registered().items()
        if (ids := [h.entity_id for h in hits if h.type == entity])
    }
    views = []
    for hit in hits:
        found = shown.get(hit.type, {}).get(hit.entity_id)
        if found is not None:
            views.append(
                HitView(
                    type=hit.type,
                    id=hit.entity_id,
                    kind=found.kind,
                    title=found.title,
                    url=found.url,
                    segments=highlight(found.text, terms, prefixes),
                    record=found.record,
                    score=hit.score,
                )
            )
    return views


def highlight(text: str, terms: set[str], prefixes: set[str], width: int = 220) -> list[Segment]:
    """A window of the text around the first matched word, with the matched words marked."""
    if not text:
        return []
    spans = language.find_matches(text, terms, prefixes)
    if not spans:
        cut = text[:width]
        return [Segment(cut.rsplit(" ", 1)[0] + "…" if len(text) > width else cut, False)]
    first = spans[0][0]
    start = max(0, first - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > spans[0][1] else end
    segments: list[Segment] = [Segment("…", False)] if start else []
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        if span_start > cursor:
            segments.append(Segment(text[cursor:span_start], False))
        segments.append(Segment(text[span_start:span_end], True))
        cursor = span_end
    if cursor < end:
        segments.append(Segment(text[cursor:end], False))
    if end < len(text):
        segments.append(Segment("…", False))
    return segments


def header_suggestions(
    session: Session, *, actor: Person, text: str, limit: int = 8
) -> dict[str, list[HitView]]:
    """Search-as-you-type: the top hits, grouped by kind."""
    if len(text.strip()) < 2:
        return {}
    query = text.strip()
    if not query.endswith(("*", '"')) and " " not in query and len(query) >= 2:
        query += "*"  # while typing, the last word is a prefix
    elif not query.endswith(('"', "*")):
        head, _, last = query.rpartition(" ")
        query = f"{head} {last}*" if len(last) >= 2 else head
    page = search(session, actor=actor, text=query, per_page=limit, with_facets=False)
    grouped: dict[str, list[HitView]] = {}
    for hit in page.hits:
        grouped.setdefault(hit.kind, []).append(hit)
    return grouped


__all__ += ["HitView", "SearchPage", "Segment", "header_suggestions", "highlight", "index_status"]
