"""Finding records with the search index as people type: the insights to cite as evidence or to
address, and the proposals like the one being written. Search reads every domain, so these live
above them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.core.types import parse_id
from app.insights import permissions as insight_permissions
from app.insights import service as insight_service
from app.insights.models import Insight, Kind, Status
from app.people.models import Person
from app.proposals import service as proposal_service
from app.proposals.models import Proposal
from app.search import service as search_service


def find_insights(
    session: Session, *, actor: Person, text: str, kind: Kind | None = None, limit: int = 10
) -> list[Insight]:
    """Published insights (of one kind, if given) for the words typed, best match first, or the one with
    that number: for picking evidence and the insights a proposal addresses. Uses the search index
    (stemming, relevance); plain substring matching when the index is unavailable."""
    text = text.strip()[:100]
    if not text:
        return []
    if text.isdigit():
        insight_id = parse_id(text)
        found = session.get(Insight, insight_id) if insight_id is not None else None
        ok = found is not None and found.status == Status.published and (kind is None or found.kind == kind)
        return [found] if found is not None and ok and insight_permissions.can(actor, "view", found) else []
    query = text if text.endswith(("*", '"')) or len(text.split()[-1]) < 2 else text + "*"  # still typing
    try:
        page = search_service.search(
            session,
            actor=actor,
            text=query,
            per_page=limit,
            with_facets=False,
            filters={"kind": kind.value} if kind else {"status": "published"},
        )
        return [
            hit.record
            for hit in page.hits
            if hit.type == "insight" and hit.record is not None and hit.record.status == Status.published
        ]
    except (search_service.QueryError, search_service.SearchUnavailable):
        return insight_service.find_by_substring(session, actor=actor, text=text, kind=kind, limit=limit)


def _similar_ids(session: Session, *, actor: Person, text: str, kind: str, limit: int) -> list[int]:
    """Ids of records of this kind sharing words with `text` (any of them), the close ones only."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if len(w) > 3][:12]
    if not words:
        return []
    try:
        page = search_service.search(
            session,
            actor=actor,
            text=" OR ".join(words),
            filters={"kind": kind},
            per_page=limit,
            with_facets=False,
        )
    except (search_service.QueryError, search_service.SearchUnavailable):
        return []
    hits = [hit for hit in page.hits if (hit.type == "proposal") == (kind == "proposal")]
    # A word every record shares ("customers") should not make them all "similar": keep the close ones.
    best = max((hit.score for hit in hits), default=0.0)
    return [hit.id for hit in hits if hit.score >= best * proposal_service.SIMILAR_SHARE_OF_BEST]


def similar_proposals(session: Session, *, actor: Person, text: str, limit: int = 5) -> list[Proposal]:
    """Up to 5 existing proposals like the one being typed, found by the search backend."""
    ids = _similar_ids(session, actor=actor, text=text, kind="proposal", limit=limit)
    found = {p.id: p for p in session.exec(select(Proposal).where(col(Proposal.id).in_(ids))).all()}
    return [found[i] for i in ids if i in found]


def similar_insights(
    session: Session, *, actor: Person, text: str, kind: Kind, limit: int = 5
) -> list[Insight]:
    """Published insights of a kind like the one being typed (a pain point that exists already)."""
    ids = _similar_ids(session, actor=actor, text=text, kind=kind.value, limit=limit)
    found = {
        i.id: i
        for i in session.exec(
            select(Insight).where(col(Insight.id).in_(ids), Insight.status == Status.published)
        ).all()
    }
    return [found[i] for i in ids if i in found]
