"""Proposals in search: what the index knows of them, read from the database, and how a hit is shown."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.core.markdown import strip_markup
from app.insights.models import InsightTag, Tag
from app.people.models import Department, Person
from app.proposals.models import Proposal, ProposalDepartment, ProposalInsight
from app.search.searchable import Searchable, Shown
from app.search.types import SearchDoc

ENTITY = "proposal"


def docs_for(session: Session, ids: Sequence[int]) -> dict[int, SearchDoc | None]:
    found: dict[int, SearchDoc | None] = dict.fromkeys(ids)
    if not ids:
        return found
    proposals = list(session.exec(select(Proposal).where(col(Proposal.id).in_(list(ids)))).all())
    departments: dict[int, str] = {}
    for proposal_id, name in session.exec(
        select(ProposalDepartment.proposal_id, Department.name)
        .join(Department, col(Department.id) == ProposalDepartment.department_id)
        .where(col(ProposalDepartment.proposal_id).in_(list(ids)))
    ).all():
        departments.setdefault(proposal_id, name)  # the facet takes one department: the first
    tags: dict[int, set[str]] = defaultdict(set)
    for proposal_id, tag in session.exec(
        select(ProposalInsight.proposal_id, Tag.name)
        .join(InsightTag, col(InsightTag.insight_id) == ProposalInsight.insight_id)
        .join(Tag, col(Tag.id) == InsightTag.tag_id)
        .where(col(ProposalInsight.proposal_id).in_(list(ids)))
    ).all():
        tags[proposal_id].add(tag)
    for proposal in proposals:
        assert proposal.id is not None
        found[proposal.id] = SearchDoc.of(
            ENTITY,
            proposal,
            title=proposal.title,
            body="\n".join(
                strip_markup(t, 20_000) for t in (proposal.problem, proposal.change, proposal.impact)
            ),
            tags=sorted(tags.get(proposal.id, set())),
            department=departments.get(proposal.id, ""),
            status=proposal.status.value,
            support=proposal.support_count,
        )
    return found


def show(session: Session, actor: Person, ids: Sequence[int]) -> dict[int, Shown]:
    """Every signed-in person may see every proposal."""
    return {
        proposal.id: Shown(
            kind=ENTITY,
            title=proposal.title,
            url=f"/proposals/{proposal.id}",
            text="\n".join(strip_markup(t) for t in (proposal.problem, proposal.change) if t),
        )
        for proposal in session.exec(select(Proposal).where(col(Proposal.id).in_(list(ids)))).all()
        if proposal.id is not None
    }


SEARCHABLE = Searchable(entity=ENTITY, id_column=col(Proposal.id), docs_for=docs_for, show=show)
