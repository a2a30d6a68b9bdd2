"""Search across everything: the index finds, the database decides what each person may see."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from app.comments import search as comment_search
from app.comments.models import Comment
from app.core import db
from app.core.config import get_settings
from app.core.markdown import strip_markup
from app.insights import permissions as insight_permissions
from app.insights import search as insight_search
from app.insights.models import Insight
from app.people.models import Person
from app.proposals import search as proposal_search
from app.proposals.models import Proposal
from app.search import outbox
from app.search.backend import WhooshBackend
from app.search.types import (
    FACET_FIELDS,
    QueryError,
    SearchBackend,
    SearchDoc,
    SearchQuery,
    SearchUnavailable,
)

log = logging.getLogger("portal.search")

__all__ = ["QueryError", "SearchUnavailable", "drain", "get_backend", "reindex", "search"]

# How each kind of record becomes documents: by ids (incremental) and all of them (rebuild).
DocsFor = Callable[[Session, Sequence[int]], dict[int, SearchDoc | None]]
BUILDERS: dict[str, tuple[DocsFor, Callable[[Session], Iterator[SearchDoc]]]] = {
    insight_search.ENTITY: (insight_search.docs_for, insight_search.all_docs),
    proposal_search.ENTITY: (proposal_search.docs_for, proposal_search.all_docs),
    comment_search.ENTITY: (comment_search.docs_for, comment_search.all_docs),
}


@lru_cache
def get_backend() -> SearchBackend:
    if get_settings().search_backend == "postgres":
        from app.search.postgres import PostgresBackend

        return PostgresBackend()
    if get_settings().search_backend == "tantivy":
        from app.search.tantivy_backend import TantivyBackend

        return TantivyBackend(get_settings().index_dir)
    return WhooshBackend(get_settings().index_dir)


def documents_for(session: Session, changed: Iterable[tuple[str, int]]) -> tuple[list[SearchDoc], list[str]]:
    """The documents to write for changed records, read from the database, and those to delete."""
    by_type: dict[str, set[int]] = {}
    for entity_type, entity_id in changed:
        by_type.setdefault(entity_type, set()).add(entity_id)
    upserts: list[SearchDoc] = []
    deletes: list[str] = []
    for entity_type, ids in by_type.items():
        docs_for = BUILDERS[entity_type][0]
        for entity_id, doc in docs_for(session, sorted(ids)).items():
            if doc is None:
                deletes.append(f"{entity_type}:{entity_id}")
            else:
                upserts.append(doc)
    return upserts, deletes


@event.listens_for(Session, "before_commit")
def _index_in_the_same_transaction(session: Session) -> None:
    """With the postgres backend, what a session changed is indexed inside its own transaction,
    just before it commits. The outbox rows stay for `portal worker`, which sends saved-search alerts
    and marks them done; applying them again there is harmless (and is what happens when a process
    that never loaded this module commits)."""
    pending = session.info.pop("search_outbox", None)
    if not pending:
        return
    from app.search.postgres import PostgresBackend

    upserts, deletes = documents_for(session, pending)
    PostgresBackend().write(session.connection(), upserts, deletes)


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
            upserts, deletes = documents_for(reader, [(r.entity_type, r.entity_id) for r in rows])
            _end_read(reader, session)
            # A crash after apply and before the mark re-applies the same rows: harmless.
            backend.apply(upserts, deletes)
            created = {
                r.entity_id for r in rows if r.entity_type == insight_search.ENTITY and r.op == "create"
            }
            news = _saved_search_news(reader, backend, created) if created else []
            _end_read(reader, session)
            outbox.mark_processed(session, [r.id for r in rows if r.id is not None])
            _notify(session, news)
            db.commit(session)
            applied += len(rows)
    return applied


def _end_read(reader: Session, session: Session) -> None:
    """End the read transaction of a separate reading session (on SQLite it pins the WAL)."""
    if reader is not session:
        reader.rollback()


@dataclass(frozen=True)
class _News:
    followers: list[int]
    text: str
    url: str
    author_id: int | None


def _saved_search_news(session: Session, backend: SearchBackend, created: set[int]) -> list[_News]:
    """What to tell the followers of a saved search about new insights that match it (once the
    index has them): read here, written by `_notify` in the short write transaction."""
    from app.notifications import service as notification_service
    from app.notifications.models import Follow

    news: list[_News] = []
    queries = session.exec(select(Follow.target_key).where(Follow.target_type == "search").distinct()).all()
    for text in queries:
        try:
            result = backend.search(SearchQuery(text=text, sort="newest", per_page=100, with_facets=False))
        except (QueryError, SearchUnavailable):
            continue
        matched = [
            h.entity_id for h in result.hits if h.type == insight_search.ENTITY and h.entity_id in created
        ]
        if not matched:
            continue
        # The followers once per saved search, however many new insights it matched.
        followers = notification_service.followers(session, target_type="search", target_keys=[text])
        for insight in session.exec(select(Insight).where(col(Insight.id).in_(matched))).all():
            news.append(
                _News(
                    followers=list(followers),
                    text=f"New insight for your saved search “{text}”: “{insight.title}”.",
                    url=f"/insights/{insight.id}",
                    author_id=insight.author_id,
                )
            )
    return news


def _notify(session: Session, news: list[_News]) -> None:
    from app.notifications import service as notification_service

    for item in news:
        notification_service.notify(
            session, person_ids=item.followers, text=item.text, url=item.url, exclude=item.author_id
        )


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
        for _docs_for, all_docs in BUILDERS.values():
            yield from all_docs(reader)

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
    published_only = not insight_permissions.can(actor, "edit")
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
    hits = _load_hits(session, actor, result.hits, backend, result.terms, result.prefixes)
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
    hits: Sequence[Any],
    backend: SearchBackend,
    terms: set[str],
    prefixes: set[str],
) -> list[HitView]:
    """Load the shown hits from the database, through each domain's visibility rule, in rank order."""
    insight_ids = [h.entity_id for h in hits if h.type == insight_search.ENTITY]
    insights: dict[int, Insight] = {}
    if insight_ids:
        rows = session.exec(
            select(Insight).where(col(Insight.id).in_(insight_ids), insight_permissions.visible_filter(actor))
        ).all()
        insights = {i.id: i for i in rows if i.id is not None}
    proposal_ids = [h.entity_id for h in hits if h.type == proposal_search.ENTITY]
    proposals: dict[int, Proposal] = {}
    if proposal_ids:  # every signed-in person may see every proposal
        proposals = {
            p.id: p
            for p in session.exec(select(Proposal).where(col(Proposal.id).in_(proposal_ids))).all()
            if p.id is not None
        }
    comment_ids = [h.entity_id for h in hits if h.type == comment_search.ENTITY]
    comments: dict[int, tuple[Comment, str, str]] = {}
    if comment_ids:
        from app.comments import service as comment_service
        from app.core.errors import NotFound

        for comment in session.exec(
            select(Comment).where(col(Comment.id).in_(comment_ids), col(Comment.deleted_at).is_(None))
        ).all():
            try:  # the comment is visible when what it is on is visible
                title, url = comment_service.target_title(
                    session, actor=actor, target_type=comment.target_type, target_id=comment.target_id
                )
            except NotFound:
                continue
            comments[comment.id or 0] = (comment, title, f"{url}#comment-{comment.id}")
    views = []
    for hit in hits:
        if hit.type == comment_search.ENTITY and hit.entity_id in comments:
            comment, title, url = comments[hit.entity_id]
            views.append(
                HitView(
                    type="comment",
                    id=hit.entity_id,
                    kind="comment",
                    title=f"Comment on “{title}”",
                    url=url,
                    segments=highlight(strip_markup(comment.body), terms, prefixes, backend),
                )
            )
            continue
        if hit.type == insight_search.ENTITY and hit.entity_id in insights:
            insight = insights[hit.entity_id]
            text = "\n".join(
                p for p in (insight.quote, strip_markup(insight.body), insight.persona, insight.goals) if p
            )
            views.append(
                HitView(
                    type="insight",
                    id=hit.entity_id,
                    kind=insight.kind.value,
                    title=insight.title,
                    url=f"/insights/{hit.entity_id}",
                    segments=highlight(text, terms, prefixes, backend),
                    record=insight,
                )
            )
        elif hit.type == proposal_search.ENTITY and hit.entity_id in proposals:
            proposal = proposals[hit.entity_id]
            text = "\n".join(strip_markup(t) for t in (proposal.problem, proposal.change) if t)
            views.append(
                HitView(
                    type="proposal",
                    id=hit.entity_id,
                    kind="proposal",
                    title=proposal.title,
                    url=f"/proposals/{hit.entity_id}",
                    segments=highlight(text, terms, prefixes, backend),
                    record=None,
                )
            )
    scores = {(h.type, h.entity_id): h.score for h in hits}
    for view in views:
        view.score = scores.get((view.type, view.id), 0.0)
    return views


def highlight(
    text: str, terms: set[str], prefixes: set[str], backend: SearchBackend, width: int = 220
) -> list[Segment]:
    """A window of the text around the first matched word, with the matched words marked."""
    if not text:
        return []
    spans = backend.find_matches(text, terms, prefixes)
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
