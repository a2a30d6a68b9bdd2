"""Proposals: propose (also anonymously), list, support and withdraw support."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core import db
from app.core import outbox as events
from app.core.db import owns_transaction
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.models import utcnow
from app.insights import permissions as insight_permissions
from app.insights.models import Insight, InsightTag, Tag
from app.limits import service as write_limits
from app.notifications import service as notification_service
from app.people.models import Department, Person, Team
from app.proposals import permissions, reminders
from app.proposals.models import (
    Proposal,
    ProposalDepartment,
    ProposalInsight,
    ProposalOutcome,
    ProposalResponse,
    ProposalStatus,
    Support,
)
from app.proposals.schemas import ListFilters, ProposalCreate, ProposalRead
from app.search import outbox

PER_PAGE = 20
CLOSED = frozenset({ProposalStatus.done, ProposalStatus.declined, ProposalStatus.duplicate})
SIMILAR_SHARE_OF_BEST = 0.5  # a similar proposal scores at least half as well as the closest one


def get(session: Session, *, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("There is no such proposal.")
    return proposal


@owns_transaction
def create(session: Session, *, actor: Person, data: ProposalCreate) -> Proposal:
    """Anyone signed in may propose. The author follows their proposal (and hears every answer)."""
    assert actor.id is not None
    write_limits.check(session, person=actor, action="proposal")
    errors: dict[str, str] = {}
    insight_ids = sorted(set(data.insight_ids))
    if insight_ids:
        visible = set(
            session.exec(
                select(Insight.id).where(
                    col(Insight.id).in_(insight_ids), insight_permissions.visible_filter(actor)
                )
            ).all()
        )
        missing = [i for i in insight_ids if i not in visible]
        if missing:
            errors["insight_ids"] = f"No such insights: {', '.join(map(str, missing))}."
    department_ids = sorted(set(data.department_ids))
    if department_ids:
        known = set(session.exec(select(Department.id).where(col(Department.id).in_(department_ids))).all())
        if set(department_ids) - known:
            errors["department_ids"] = "Choose existing departments."
    ValidationFailed.unless_empty(errors)
    proposal = Proposal(
        title=data.title,
        problem=data.problem,
        change=data.change,
        impact=data.impact,
        author_id=actor.id,
        is_anonymous=data.anonymous,
    )
    session.add(proposal)
    session.flush()
    assert proposal.id is not None
    for insight_id in insight_ids:
        session.add(ProposalInsight(proposal_id=proposal.id, insight_id=insight_id))
    for department_id in department_ids:
        session.add(ProposalDepartment(proposal_id=proposal.id, department_id=department_id))
    notification_service.follow(session, person=actor, target_type="proposal", target_key=str(proposal.id))
    outbox.enqueue(session, "proposal", proposal.id)
    events.emit(session, "proposal.created", {"proposal_id": proposal.id})
    reminders.tell_leaders_of_new(session, proposal)
    db.commit(session)
    return proposal


def list_proposals(session: Session, *, filters: ListFilters) -> tuple[int, list[Proposal]]:
    """Most supported or newest first. "Trending" also weighs recent comments, which are another
    domain: app/flows/proposal_list.py ranks it."""
    if filters.sort == "trending":
        raise ValueError("trending lists are ranked by app.flows.proposal_list")
    condition = list_conditions(filters)
    total = session.exec(select(func.count()).select_from(Proposal).where(*condition)).one()
    page = max(filters.page, 1)
    order = (
        [col(Proposal.support_count).desc(), col(Proposal.created_at).desc()]
        if filters.sort == "support"
        else [col(Proposal.created_at).desc()]
    )
    rows = session.exec(
        select(Proposal).where(*condition).order_by(*order).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return total, list(rows)


def list_conditions(filters: ListFilters) -> list[Any]:
    """What the list (and an export of it) shows, narrowed by the filters."""
    condition: list[Any] = []
    if filters.status is not None:
        condition.append(col(Proposal.status) == filters.status)
    if filters.department_id:
        condition.append(
            col(Proposal.id).in_(
                select(ProposalDepartment.proposal_id).where(
                    ProposalDepartment.department_id == filters.department_id
                )
            )
        )
    if filters.tag:
        tagged_insights = (
            select(InsightTag.insight_id)
            .join(Tag, col(Tag.id) == InsightTag.tag_id)
            .where(Tag.name == filters.tag)
        )
        condition.append(
            col(Proposal.id).in_(
                select(ProposalInsight.proposal_id).where(
                    col(ProposalInsight.insight_id).in_(tagged_insights)
                )
            )
        )
    return condition


# --- support -------------------------------------------------------------------------------------


SUPPORTING_OWN_ANONYMOUS = (
    "You posted this proposal anonymously. Supporting it would put your name under it, so everyone "
    "could tell it was you. It is yours already: you hear every answer to it."
)


def support(session: Session, *, actor: Person, proposal_id: int) -> int:
    """Support once; again is harmless. Supporting follows the proposal. Returns the new count.
    The author of an anonymous proposal is refused: supporters are listed by name."""
    proposal = get(session, proposal_id=proposal_id)
    if proposal.status in CLOSED:
        raise Conflict(f"This proposal is {proposal.status.label}; it no longer takes support.")
    if proposal.written_anonymously_by(actor.id):
        raise Conflict(SUPPORTING_OWN_ANONYMOUS)
    assert actor.id is not None
    write_limits.check(session, person=actor, action="support")
    savepoint = session.begin_nested()
    try:
        session.add(Support(proposal_id=proposal_id, person_id=actor.id))
        savepoint.commit()
    except IntegrityError:  # supported already (or at the same moment on another worker)
        savepoint.rollback()
    notification_service.follow(session, person=actor, target_type="proposal", target_key=str(proposal_id))
    return _recount(session, proposal_id)


def withdraw(session: Session, *, actor: Person, proposal_id: int) -> int:
    get(session, proposal_id=proposal_id)
    session.exec(
        delete(Support).where(
            col(Support.proposal_id) == proposal_id,
            col(Support.person_id) == actor.id,
        )
    )
    return _recount(session, proposal_id)


def _recount(session: Session, proposal_id: int) -> int:
    count = session.exec(
        select(func.count()).select_from(Support).where(Support.proposal_id == proposal_id)
    ).one()
    session.exec(
        update(Proposal)
        .where(col(Proposal.id) == proposal_id)
        .values(support_count=count, last_activity_at=utcnow())
    )
    outbox.enqueue(session, "proposal", proposal_id)
    db.commit(session)
    return int(count)


def supports(session: Session, *, actor: Person, proposal_id: int) -> bool:
    return (
        session.exec(
            select(Support.id).where(Support.proposal_id == proposal_id, Support.person_id == actor.id)
        ).first()
        is not None
    )


def supporters(session: Session, *, proposal_id: int) -> list[Person]:
    """Everyone who supports the proposal, by name (supporting is always under one's own name)."""
    supporting = select(Person).join(Support, col(Support.person_id) == Person.id)
    rows = session.exec(
        supporting.where(Support.proposal_id == proposal_id).order_by(col(Support.created_at))
    )
    return list(rows.all())


# --- reading -------------------------------------------------------------------------------------


@dataclass
class ProposalDetail:
    proposal: Proposal
    author: Person | None  # None for anonymous proposals, unless the viewer is the author
    is_author: bool
    insights: list[Insight] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    supporters: list[Person] = field(default_factory=list)
    supported: bool = False
    following: bool = False


def detail(session: Session, *, actor: Person, proposal_id: int) -> ProposalDetail:
    proposal = get(session, proposal_id=proposal_id)
    is_author = proposal.author_id == actor.id
    author = (
        session.get(Person, proposal.author_id) if permissions.can(actor, "see_author", proposal) else None
    )
    return ProposalDetail(
        proposal=proposal,
        author=author,
        is_author=is_author,
        insights=addressed_insights(session, actor=actor, proposal_id=proposal_id),
        departments=list(
            session.exec(
                select(Department)
                .join(ProposalDepartment, col(ProposalDepartment.department_id) == Department.id)
                .where(ProposalDepartment.proposal_id == proposal_id)
                .order_by(Department.name)
            ).all()
        ),
        supporters=supporters(session, proposal_id=proposal_id),
        supported=supports(session, actor=actor, proposal_id=proposal_id),
        following=notification_service.is_following(
            session, person=actor, target_type="proposal", target_key=str(proposal_id)
        ),
    )


def addressed_insights(session: Session, *, actor: Person, proposal_id: int) -> list[Insight]:
    return list(
        session.exec(
            select(Insight)
            .join(ProposalInsight, col(ProposalInsight.insight_id) == Insight.id)
            .where(ProposalInsight.proposal_id == proposal_id, insight_permissions.visible_filter(actor))
        ).all()
    )


def for_insight(session: Session, *, insight_id: int) -> list[Proposal]:
    """The proposals that address an insight, most supported first."""
    addressing = select(Proposal).join(ProposalInsight, col(ProposalInsight.proposal_id) == Proposal.id)
    rows = addressing.where(ProposalInsight.insight_id == insight_id)
    return list(session.exec(rows.order_by(col(Proposal.support_count).desc())).all())


def supported_by(session: Session, *, actor: Person, limit: int = 5) -> list[Proposal]:
    """The proposals this person supports, the most recently active first (for their home page)."""
    return list(
        session.exec(
            select(Proposal)
            .join(Support, col(Support.proposal_id) == Proposal.id)
            .where(Support.person_id == actor.id)
            .order_by(col(Proposal.last_activity_at).desc())
            .limit(limit)
        ).all()
    )


def mine(session: Session, *, actor: Person) -> list[Proposal]:
    """The person's own proposals, anonymous ones included (only they see this list)."""
    return list(
        session.exec(
            select(Proposal).where(Proposal.author_id == actor.id).order_by(col(Proposal.created_at).desc())
        ).all()
    )


def to_read(session: Session, proposal: Proposal) -> ProposalRead:
    assert proposal.id is not None
    author = None if proposal.is_anonymous else session.get(Person, proposal.author_id)
    departments = session.exec(
        select(Department.name)
        .join(ProposalDepartment, col(ProposalDepartment.department_id) == Department.id)
        .where(ProposalDepartment.proposal_id == proposal.id)
        .order_by(Department.name)
    ).all()
    insight_ids = session.exec(
        select(ProposalInsight.insight_id)
        .where(ProposalInsight.proposal_id == proposal.id)
        .order_by(col(ProposalInsight.insight_id))
    ).all()
    owner = session.get(Team, proposal.owner_team_id) if proposal.owner_team_id else None
    responses: list[dict[str, object]] = [
        {
            "status": r.to_status.value,
            "from_status": r.from_status.value,
            "response": r.body,
            "created_at": r.created_at.isoformat(),
        }
        for r in session.exec(
            select(ProposalResponse)
            .where(ProposalResponse.proposal_id == proposal.id)
            .order_by(col(ProposalResponse.id))
        ).all()
    ]
    return ProposalRead(
        id=proposal.id,
        title=proposal.title,
        problem=proposal.problem,
        change=proposal.change,
        impact=proposal.impact,
        status=proposal.status,
        support_count=proposal.support_count,
        created_at=proposal.created_at,
        url=f"/proposals/{proposal.id}",
        insight_ids=list(insight_ids),
        departments=list(departments),
        author=author.name if author else None,
        anonymous=proposal.is_anonymous,
        owner_team=owner.name if owner else None,
        duplicate_of=proposal.duplicate_of_id,
        responses=responses,
    )


def done_proposals(session: Session) -> list[Proposal]:
    done = select(Proposal).where(Proposal.status == ProposalStatus.done)
    return list(session.exec(done.order_by(col(Proposal.updated_at).desc())).all())


def outcomes_of(session: Session, *, proposal_id: int) -> list[Insight]:
    """The success stories that came from this proposal."""
    stories = select(Insight).join(ProposalOutcome, col(ProposalOutcome.story_id) == Insight.id)
    return list(session.exec(stories.where(ProposalOutcome.proposal_id == proposal_id)).all())


def stories_sources(session: Session, *, story_id: int) -> list[Proposal]:
    """The proposals a success story came from."""
    sources = select(Proposal).join(ProposalOutcome, col(ProposalOutcome.proposal_id) == Proposal.id)
    return list(session.exec(sources.where(ProposalOutcome.story_id == story_id)).all())


def originals_for(session: Session, *, duplicate_id: int, text: str, limit: int = 8) -> list[Proposal]:
    """The proposals a duplicate could be merged into, for a leader who typed the original's number
    or words of its title: never itself, never a proposal that is itself a duplicate."""
    query = select(Proposal).where(
        col(Proposal.id) != duplicate_id, col(Proposal.status) != ProposalStatus.duplicate
    )
    number = text.strip().lstrip("#")
    if number.isdigit() and len(number) <= 12:
        return list(session.exec(query.where(col(Proposal.id) == int(number))).all())
    words = [w for w in text.lower().split() if len(w) > 1][:6]
    if not words:
        return []
    for word in words:
        query = query.where(func.lower(Proposal.title).contains(word, autoescape=True))
    ordered = query.order_by(col(Proposal.support_count).desc(), col(Proposal.id).desc()).limit(limit)
    return list(session.exec(ordered).all())


def duplicates_of(session: Session, *, proposal_id: int) -> list[Proposal]:
    return list(session.exec(select(Proposal).where(Proposal.duplicate_of_id == proposal_id)).all())


def people_to_tell(session: Session, *, proposal_id: int) -> set[int]:
    """Who is always told of a decision on a proposal, whatever their preferences: the proposer
    (also when anonymous), every supporter, and the authors of the insights it addresses."""
    proposal = get(session, proposal_id=proposal_id)
    supporters_ids = set(
        session.exec(select(Support.person_id).where(Support.proposal_id == proposal_id)).all()
    )
    evidence_authors = set(
        session.exec(
            select(Insight.author_id)
            .join(ProposalInsight, col(ProposalInsight.insight_id) == Insight.id)
            .where(ProposalInsight.proposal_id == proposal_id)
        ).all()
    )
    return {proposal.author_id} | supporters_ids | evidence_authors
