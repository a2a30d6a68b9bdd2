"""The proposal list, trending first: recent support (proposals) and recent comments (comments)
both count, so the ranking lives above the two domains."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import union
from sqlmodel import Session, col, func, select

from app.comments.models import Comment
from app.core.models import aware, utcnow
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
from app.proposals.models import Proposal, Support


def list_proposals(session: Session, *, filters: proposal_schemas.ListFilters) -> tuple[int, list[Proposal]]:
    if filters.sort != "trending":
        return proposal_service.list_proposals(session, filters=filters)
    condition = proposal_service.list_conditions(filters)
    total = session.exec(select(func.count()).select_from(Proposal).where(*condition)).one()
    page = max(filters.page, 1)
    per_page = proposal_service.PER_PAGE
    now = utcnow()
    # Only proposals with support or comments in the last four weeks score more than their age;
    # without any, a younger proposal always ranks higher. So the page needs those active ones and
    # the newest quiet ones, however many proposals the company has.
    active = recently_active(now - RECENT)
    rows = [
        *session.exec(select(Proposal).where(*condition, col(Proposal.id).in_(active))).all(),
        *session.exec(
            select(Proposal)
            .where(*condition, col(Proposal.id).not_in(active))
            .order_by(col(Proposal.created_at).desc(), col(Proposal.id).desc())
            .limit(page * per_page)
        ).all(),
    ]
    scores = trending_scores(session, rows, now=now)
    ranked = sorted(rows, key=lambda p: scores.get(p.id or 0, 0.0), reverse=True)
    return total, list(ranked[(page - 1) * per_page : page * per_page])


RECENT = timedelta(days=28)


def recently_active(since: datetime) -> Any:
    """The ids of proposals supported or commented on since `since` (a subquery)."""
    supported = select(Support.proposal_id).where(col(Support.created_at) > since)
    commented = select(Comment.target_id).where(
        Comment.target_type == "proposal", col(Comment.created_at) > since, col(Comment.deleted_at).is_(None)
    )
    return union(supported, commented).scalar_subquery()


def read_page(session: Session, *, filters: proposal_schemas.ListFilters) -> proposal_schemas.ProposalPage:
    """One page of the proposal list as the API answers it."""
    total, items = list_proposals(session, filters=filters)
    reads = [proposal_service.to_read(session, p) for p in items]
    return proposal_schemas.ProposalPage(total=total, page=filters.page, items=reads)


def trending_scores(
    session: Session, proposals: Sequence[Proposal], *, now: datetime | None = None
) -> dict[int, float]:
    """Recent support and comments count most; everything decays with age (half-life one week).
    Two queries for the whole list, however long it is."""
    now = now or utcnow()
    since = now - RECENT
    ids = [p.id for p in proposals if p.id is not None]

    def weight(moment: datetime) -> float:
        return float(0.5 ** ((now - aware(moment)).total_seconds() / (7 * 86400)))

    scores = {
        p.id: 1.0 / (1 + (now - aware(p.created_at)).total_seconds() / 86400)
        for p in proposals
        if p.id is not None
    }
    if not ids:
        return scores
    for proposal_id, moment in session.exec(
        select(Support.proposal_id, Support.created_at).where(
            col(Support.proposal_id).in_(ids), col(Support.created_at) > since
        )
    ).all():
        scores[proposal_id] += weight(moment)
    for proposal_id, moment in session.exec(
        select(Comment.target_id, Comment.created_at).where(
            Comment.target_type == "proposal",
            col(Comment.target_id).in_(ids),
            col(Comment.created_at) > since,
            col(Comment.deleted_at).is_(None),
        )
    ).all():
        scores[proposal_id] += 0.5 * weight(moment)
    return scores
