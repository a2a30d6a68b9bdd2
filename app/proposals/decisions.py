"""Leaders decide in public: status changes with an official response, owner teams, duplicates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import cache, db
from app.core import outbox as events
from app.core.config import get_settings
from app.core.db import owns_transaction
from app.core.errors import ValidationFailed
from app.core.markdown import plain_excerpt
from app.core.models import aware, detached_copy, utcnow
from app.core.types import parse_id
from app.notifications import service as notification_service
from app.notifications.models import Follow
from app.people.models import Department, Person, Team
from app.proposals import permissions as proposal_permissions
from app.proposals import service as proposal_service
from app.proposals.models import Proposal, ProposalDepartment, ProposalResponse, ProposalStatus, Support
from app.proposals.schemas import Decision
from app.search import outbox

OPEN_WORK = (ProposalStatus.accepted, ProposalStatus.in_progress)
OWNED = (*OPEN_WORK, ProposalStatus.done)  # the statuses that carry an owner team


def can_decide(person: Person | None) -> bool:
    return proposal_permissions.can(person, "decide")


@owns_transaction
def decide(session: Session, *, actor: Person, proposal_id: int, decision: Decision) -> Proposal:
    """Change the status with an official response. A refused decision leaves the proposal as it was."""
    proposal_permissions.check(actor, "decide")
    proposal = proposal_service.get(session, proposal_id=proposal_id)
    errors: dict[str, str] = {}
    if decision.status not in ProposalStatus.__members__:
        errors["status"] = "Choose one of: " + ", ".join(s.value for s in ProposalStatus) + "."
    if not decision.response.strip():
        errors["response"] = "Every decision needs an official response: say why, in a few sentences."
    status = ProposalStatus(decision.status) if "status" not in errors else None
    # Only work the portal takes on has an owner: a declined or duplicate proposal gets none.
    owned = status in OWNED
    team = _team(session, decision.owner_team) if owned and decision.owner_team not in (None, "") else None
    if owned and decision.owner_team not in (None, "") and team is None:
        errors["owner_team"] = "Choose an existing team."
    if status == ProposalStatus.accepted and team is None and proposal.owner_team_id is None and not errors:
        suggested = suggest_team(session, proposal_id=proposal.id or 0)
        team = suggested.team if suggested is not None else None
    original: Proposal | None = None
    if status == ProposalStatus.duplicate:
        original = session.get(Proposal, decision.duplicate_of) if decision.duplicate_of else None
        if original is None or original.id == proposal.id or original.status == ProposalStatus.duplicate:
            errors["duplicate_of"] = "Name the original proposal this one duplicates."
    if status == ProposalStatus.accepted and team is None and proposal.owner_team_id is None:
        errors["owner_team"] = "Accepting a proposal gives it to an owner team: create a team first."
    if errors or status is None:
        raise ValidationFailed(errors)
    assert actor.id is not None and proposal.id is not None
    previous = proposal.status
    now = utcnow()
    response = ProposalResponse(
        proposal_id=proposal.id,
        author_id=actor.id,
        from_status=previous,
        to_status=status,
        body=decision.response.strip(),
    )
    session.add(response)
    session.flush()
    events.emit(session, "proposal.decided", {"proposal_id": proposal.id, "response_id": response.id})
    proposal.status = status
    proposal.updated_at = proposal.last_activity_at = now
    proposal.first_response_at = proposal.first_response_at or now
    if team is not None:
        proposal.owner_team_id = team.id
    if original is not None:
        proposal.duplicate_of_id = original.id
    session.add(proposal)
    audit_service.record(
        session,
        actor,
        "proposal.decide",
        proposal,
        summary=f"{previous.label} → {status.label}: {proposal.title}",
        details={"owner_team": team.name if team else None, "duplicate_of": proposal.duplicate_of_id},
    )
    quote = plain_excerpt(decision.response, 300)
    notification_service.notify(
        session,
        person_ids=proposal_service.people_to_tell(session, proposal_id=proposal.id),
        exclude=actor.id,
        url=f"/proposals/{proposal.id}",
        text=f"“{proposal.title}” is now {status.label}: “{quote}”"[:500],
    )
    if original is not None:
        _merge(session, duplicate=proposal, original=original)
        events.emit(session, "proposal.merged", {"proposal_id": proposal.id, "original_id": original.id})
    outbox.enqueue(session, "proposal", proposal.id)
    db.commit(session)
    return proposal


def _team(session: Session, value: int | str | None) -> Team | None:
    if isinstance(value, int):  # already bounded by the Decision schema
        return session.get(Team, value)
    team_id = parse_id(str(value))
    if team_id is not None:
        return session.get(Team, team_id)
    return session.exec(select(Team).where(Team.name == str(value).strip())).first()


def _merge(session: Session, *, duplicate: Proposal, original: Proposal) -> None:
    """The duplicate's supporters, and its author when named, support the original (each once); its
    followers follow it. The author of an anonymous duplicate is not carried at all: listed, they
    would be named; counted without a name, the count would still tell (it does not rise when they
    already support the original, which narrows them to its supporters). They follow the original
    and hear the answer, as every author does."""
    assert duplicate.id is not None and original.id is not None
    people = set(session.exec(select(Support.person_id).where(Support.proposal_id == duplicate.id)).all())
    if not duplicate.is_anonymous:
        people.add(duplicate.author_id)
    already = set(session.exec(select(Support.person_id).where(Support.proposal_id == original.id)).all())
    for person_id in sorted(people - already - {original.author_id}):
        savepoint = session.begin_nested()
        try:
            session.add(Support(proposal_id=original.id, person_id=person_id))
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()
    followers = set(
        session.exec(
            select(Follow.person_id).where(
                Follow.target_type == "proposal", Follow.target_key == str(duplicate.id)
            )
        ).all()
    ) | {duplicate.author_id}
    for person in session.exec(select(Person).where(col(Person.id).in_(followers | people))).all():
        notification_service.follow(
            session, person=person, target_type="proposal", target_key=str(original.id)
        )
    original.support_count = session.exec(
        select(func.count()).select_from(Support).where(Support.proposal_id == original.id)
    ).one()
    original.last_activity_at = utcnow()
    session.add(original)
    merged = f"“{duplicate.title}” was merged into “{original.title}”"
    notification_service.notify(
        session,
        person_ids=people,
        url=f"/proposals/{original.id}",
        text=f"{merged}; your support now counts there.",
    )
    notification_service.notify(
        session,
        person_ids=followers - people,
        url=f"/proposals/{original.id}",
        text=f"{merged}; you follow it there.",
    )
    outbox.enqueue(session, "proposal", original.id)


def timeline(session: Session, *, proposal_id: int) -> list[tuple[ProposalResponse, Person | None]]:
    rows = session.exec(
        select(ProposalResponse, Person)
        .join(Person, col(Person.id) == ProposalResponse.author_id, isouter=True)
        .where(ProposalResponse.proposal_id == proposal_id)
        .order_by(col(ProposalResponse.id))
    ).all()
    return [(r, p) for r, p in rows]


# --- fair work -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamLoad:
    team: Team
    department: Department
    open_count: int
    oldest_days: int


def team_loads(session: Session) -> tuple[TeamLoad, ...]:
    """What each team carries: accepted and in-progress proposals, and how old the oldest is. The
    same for every leader, so it is kept for half a minute (core.cache; a decision or a new team
    made through this process shows at once): two of the leader's proposal page's 18 statements.
    Shared by requests, so it holds copies of the teams and departments, in no session."""

    def compute() -> tuple[TeamLoad, ...]:
        now = utcnow()
        open_work: dict[int, list[datetime]] = {}
        for team_id, created in session.exec(
            select(Proposal.owner_team_id, Proposal.created_at).where(
                col(Proposal.status).in_(OPEN_WORK), col(Proposal.owner_team_id).is_not(None)
            )
        ).all():
            if team_id is not None:
                open_work.setdefault(team_id, []).append(aware(created))
        loads = []
        for team, department in session.exec(
            select(Team, Department)
            .join(Department, col(Department.id) == Team.department_id)
            .order_by(Department.name, Team.name)
        ).all():
            dates = open_work.get(team.id or 0, [])
            loads.append(
                TeamLoad(
                    team=detached_copy(team),
                    department=detached_copy(department),
                    open_count=len(dates),
                    oldest_days=max(((now - d).days for d in dates), default=0),
                )
            )
        return tuple(loads)

    return cache.for_session(session, "team-loads", None, compute, tables=("proposal", "team", "department"))


def open_work_by_team(session: Session) -> dict[int, list[Proposal]]:
    carried: dict[int, list[Proposal]] = {}
    for proposal in session.exec(
        select(Proposal)
        .where(col(Proposal.status).in_(OPEN_WORK), col(Proposal.owner_team_id).is_not(None))
        .order_by(col(Proposal.created_at))
    ).all():
        carried.setdefault(proposal.owner_team_id or 0, []).append(proposal)
    return carried


def suggest_team(
    session: Session, *, proposal_id: int, loads: Sequence[TeamLoad] | None = None
) -> TeamLoad | None:
    """The least-loaded team in a department the proposal affects (any department if none is named)."""
    loads = loads if loads is not None else team_loads(session)
    affected = set(
        session.exec(
            select(ProposalDepartment.department_id).where(ProposalDepartment.proposal_id == proposal_id)
        ).all()
    )
    candidates = [load for load in loads if not affected or load.department.id in affected] or loads
    return min(candidates, key=lambda load: (load.open_count, load.oldest_days, load.team.name), default=None)


# --- the review queue ------------------------------------------------------------------------------


@dataclass
class QueueItem:
    proposal: Proposal
    waiting_days: int  # days since submission without a first official response
    overdue: bool
    evidence_count: int


@dataclass(frozen=True)
class WaitingProposal:
    id: int
    title: str
    support_count: int
    created_at: datetime


@dataclass(frozen=True)
class Unanswered:
    """What waits for leaders (for the home page; the queue has the rest)."""

    count: int
    overdue: int
    top: tuple[WaitingProposal, ...]


def unanswered(session: Session, *, limit: int = 3) -> Unanswered:
    """Proposals with no official response yet: how many, how many past the response target, and
    the most supported (oldest first among equals). The same for every leader, so it is kept for
    half a minute (core.cache; a decision made through this process shows at once): it was three
    of the leader home page's sixteen statements."""
    waiting = (
        col(Proposal.status).in_((ProposalStatus.new, ProposalStatus.under_review)),
        col(Proposal.first_response_at).is_(None),
    )

    def count(*where: Any) -> int:
        return int(session.exec(select(func.count()).select_from(Proposal).where(*waiting, *where)).one())

    def compute() -> Unanswered:
        top = session.exec(
            select(Proposal.id, Proposal.title, Proposal.support_count, Proposal.created_at)
            .where(*waiting)
            .order_by(col(Proposal.support_count).desc(), col(Proposal.created_at))
            .limit(limit)
        ).all()
        return Unanswered(
            count=count(),
            overdue=count(col(Proposal.created_at) <= overdue_since()),
            top=tuple(WaitingProposal(*row) for row in top),
        )

    return cache.for_session(session, "proposals-unanswered", limit, compute, tables=("proposal",))


def overdue_since(now: datetime | None = None) -> datetime:
    """A proposal submitted at or before this moment and still without an official response is
    overdue: more whole days have passed than PORTAL_RESPONSE_TARGET_DAYS."""
    return (now or utcnow()) - timedelta(days=get_settings().response_target_days + 1)


def review_queue(session: Session) -> list[QueueItem]:
    """Proposals waiting for an answer (new or under review), most supported and oldest first."""
    now = utcnow()
    late = overdue_since(now)
    rows = session.exec(
        select(Proposal).where(col(Proposal.status).in_((ProposalStatus.new, ProposalStatus.under_review)))
    ).all()
    from app.proposals.models import ProposalInsight

    evidence = dict(
        session.exec(
            select(ProposalInsight.proposal_id, func.count()).group_by(col(ProposalInsight.proposal_id))
        ).all()
    )
    items = []
    for proposal in rows:
        answered = proposal.first_response_at is not None
        waiting = 0 if answered else (now - aware(proposal.created_at)).days
        items.append(
            QueueItem(
                proposal=proposal,
                waiting_days=waiting,
                overdue=not answered and aware(proposal.created_at) <= late,
                evidence_count=evidence.get(proposal.id or 0, 0),
            )
        )
    items.sort(
        key=lambda i: (-i.proposal.support_count, -(now - aware(i.proposal.created_at)).total_seconds())
    )
    return items
