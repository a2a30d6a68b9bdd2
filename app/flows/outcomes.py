"""Outcomes: a success story names the done proposals it came from ("you said, we did"), and every
insight shows the proposals linked to it. Insights and proposals are two domains; this is where
they meet, so neither imports the other's rules.

Pages and the API create and update insights through `create_insight` / `update_insight` and read
them through `read` / `read_many`; the insight service alone knows nothing of proposals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session, col, delete, select

from app.core.db import one_transaction, owns_transaction
from app.core.errors import NotFound, ValidationFailed
from app.insights import schemas as insight_schemas
from app.insights import service as insight_service
from app.insights.models import Insight, Kind
from app.insights.schemas import InsightCreate, InsightPage, InsightRead, InsightUpdate
from app.notifications import service as notification_service
from app.people.models import Person
from app.proposals.models import Proposal, ProposalInsight, ProposalOutcome, ProposalStatus, Support
from app.search import outbox


def _not_done(session: Session, proposal_ids: Sequence[int]) -> dict[str, str]:
    if not proposal_ids:
        return {}
    done = set(
        session.exec(
            select(Proposal.id).where(
                col(Proposal.id).in_(proposal_ids), Proposal.status == ProposalStatus.done
            )
        ).all()
    )
    not_done = [p for p in proposal_ids if p not in done]
    if not not_done:
        return {}
    return {
        "proposal_ids": "A success story comes from done proposals; these are not: "
        f"{', '.join(map(str, not_done))}."
    }


@owns_transaction
def create_insight(session: Session, *, actor: Person, data: InsightCreate) -> Insight:
    """Publishes an insight; a success story is linked to the done proposals it came from, whose
    proposers and supporters are told."""
    proposal_ids = list(data.proposal_ids) if data.kind == Kind.success_story else []
    own = data.model_copy(update={"proposal_ids": []})
    errors = _not_done(session, proposal_ids)
    if errors:
        raise ValidationFailed({**insight_service.validate(session, data.kind, own, None), **errors})
    with one_transaction(session):
        insight = insight_service.create(session, actor=actor, data=own)
        if proposal_ids:
            _set_outcomes(session, actor=actor, story=insight, proposal_ids=proposal_ids)
    return insight


@owns_transaction
def update_insight(session: Session, *, actor: Person, insight_id: int, data: InsightUpdate) -> Insight:
    changes = data.model_dump(exclude_unset=True)
    proposal_ids = changes.pop("proposal_ids", None)
    story = session.get(Insight, insight_id)
    if story is None:
        raise NotFound("There is no such insight.")
    linking = proposal_ids is not None and story.kind == Kind.success_story
    errors = _not_done(session, proposal_ids or []) if linking else {}
    ValidationFailed.unless_empty(errors)
    with one_transaction(session):
        own = InsightUpdate.model_validate(changes)
        insight = insight_service.update(session, actor=actor, insight_id=insight_id, data=own)
        if linking:
            _set_outcomes(session, actor=actor, story=insight, proposal_ids=proposal_ids or [])
    return insight


def _set_outcomes(session: Session, *, actor: Person, story: Insight, proposal_ids: list[int]) -> None:
    """Link the done proposals a success story came from; their proposers and supporters are told."""
    assert story.id is not None
    existing = set(
        session.exec(select(ProposalOutcome.proposal_id).where(ProposalOutcome.story_id == story.id)).all()
    )
    session.exec(delete(ProposalOutcome).where(col(ProposalOutcome.story_id) == story.id))
    for proposal_id in sorted(set(proposal_ids)):
        session.add(ProposalOutcome(proposal_id=proposal_id, story_id=story.id))
        if proposal_id in existing:
            continue
        proposal = session.get(Proposal, proposal_id)
        if proposal is None:
            continue
        backers = set(session.exec(select(Support.person_id).where(Support.proposal_id == proposal_id)).all())
        notification_service.notify(
            session,
            person_ids=backers | {proposal.author_id},
            exclude=actor.id,
            url=f"/insights/{story.id}",
            text=f"You said, we did: “{proposal.title}” led to the success story “{story.title}”.",
        )
        outbox.enqueue(session, "proposal", proposal_id)


def linked_proposals(session: Session, insights: Sequence[Insight]) -> dict[int, list[int]]:
    """For a success story the proposals it came from; for any other kind, those addressing it."""
    stories = [i.id for i in insights if i.id is not None and i.kind == Kind.success_story]
    others = [i.id for i in insights if i.id is not None and i.kind != Kind.success_story]
    linked: dict[int, list[int]] = defaultdict(list)
    for ids, insight_column, proposal_column in (
        (stories, ProposalOutcome.story_id, ProposalOutcome.proposal_id),
        (others, ProposalInsight.insight_id, ProposalInsight.proposal_id),
    ):
        if ids:
            for insight_id, proposal_id in session.exec(
                select(insight_column, proposal_column).where(col(insight_column).in_(ids))
            ).all():
                linked[insight_id].append(proposal_id)
    return linked


def read_page(session: Session, *, actor: Person, filters: insight_schemas.ListFilters) -> InsightPage:
    """One page of the insight list as the API answers it."""
    total, items = insight_service.list_insights(session, actor=actor, filters=filters)
    return InsightPage(total=total, page=filters.page, items=read_many(session, items))


def read(session: Session, insight: Insight) -> InsightRead:
    return read_many(session, [insight])[0]


def read_many(session: Session, insights: Sequence[Insight]) -> list[InsightRead]:
    return insight_service.to_read_many(session, insights, proposal_ids=linked_proposals(session, insights))
