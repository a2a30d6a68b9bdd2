"""Leaders hear of the proposals that wait for them, each once:
- when a proposal is posted, the leaders of the departments it affects (all leaders when it names
  none) get a notification;
- when it is still without an official response past PORTAL_RESPONSE_TARGET_DAYS, they are told
  again;
- past twice the target, the admins are told (the escalation).
Notifications go out by e-mail as each person chose (instant, daily, weekly). `portal worker`
looks every minute (ReminderWorker)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.core import db
from app.core.config import get_settings
from app.core.models import utcnow
from app.core.worker import RepeatingWorker
from app.notifications import service as notification_service
from app.people.models import Person, Role, Team
from app.proposals.models import Proposal, ProposalDepartment, ProposalStatus

log = logging.getLogger("portal.proposals")
WAITING = (ProposalStatus.new, ProposalStatus.under_review)


def leaders_for(session: Session, proposal_id: int) -> set[int]:
    """The active leaders of the departments the proposal affects; every leader when it names none."""
    departments = session.exec(
        select(ProposalDepartment.department_id).where(ProposalDepartment.proposal_id == proposal_id)
    ).all()
    query = select(Person.id).where(Person.role == Role.leader, Person.is_active)
    if departments:
        query = query.join(Team, col(Person.team_id) == Team.id).where(
            col(Team.department_id).in_(departments)
        )
    return {pid for pid in session.exec(query).all() if pid is not None}


def tell_leaders_of_new(session: Session, proposal: Proposal) -> int:
    """In the proposal's own transaction (no commit)."""
    assert proposal.id is not None
    return notification_service.notify(
        session,
        person_ids=leaders_for(session, proposal.id),
        exclude=proposal.author_id,
        url=f"/proposals/{proposal.id}",
        text=f"New proposal for your review: “{proposal.title}”"[:500],
    )


def remind(session: Session, *, now: datetime | None = None) -> tuple[int, int]:
    """Tell leaders of proposals past the target, and admins of those past twice the target, each
    once. Returns (reminded, escalated) proposals."""
    now = now or utcnow()
    target = timedelta(days=get_settings().response_target_days)
    waiting = select(Proposal).where(
        col(Proposal.status).in_(WAITING), col(Proposal.first_response_at).is_(None)
    )
    reminded = escalated = 0
    for proposal in session.exec(
        waiting.where(col(Proposal.leaders_reminded_at).is_(None), col(Proposal.created_at) <= now - target)
    ).all():
        assert proposal.id is not None
        notification_service.notify(
            session,
            person_ids=leaders_for(session, proposal.id),
            url=f"/proposals/{proposal.id}",
            text=f"“{proposal.title}” waits for an answer past the {target.days}-day target."[:500],
        )
        proposal.leaders_reminded_at = now
        session.add(proposal)
        reminded += 1
    admins = {
        pid
        for pid in session.exec(select(Person.id).where(Person.role == Role.admin, Person.is_active)).all()
        if pid is not None
    }
    for proposal in session.exec(
        waiting.where(col(Proposal.escalated_at).is_(None), col(Proposal.created_at) <= now - 2 * target)
    ).all():
        notification_service.notify(
            session,
            person_ids=admins,
            url=f"/proposals/{proposal.id}",
            text=f"Escalated: “{proposal.title}” has waited more than {2 * target.days} days for an answer."[
                :500
            ],
        )
        proposal.escalated_at = now
        session.add(proposal)
        escalated += 1
    db.commit(session)
    return reminded, escalated


class ReminderWorker(RepeatingWorker):
    def __init__(self, interval: float = 60.0) -> None:
        super().__init__(
            name="proposal-reminders", interval=interval, log=log, failure_event="proposals.remind_failed"
        )

    def step(self) -> bool:
        with db.new_session() as session:
            remind(session)
        return False
