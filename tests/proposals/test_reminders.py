"""Leaders hear of new proposals for their departments, again past the response target, and the
admins at twice the target: each once."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.core.models import utcnow
from app.notifications.models import Notification
from app.people.models import Person, Role
from app.proposals import reminders
from app.proposals import service as proposal_service
from app.proposals.schemas import ProposalCreate
from tests import factories


def texts(db: Session, person: Person) -> list[str]:
    return list(db.exec(select(Notification.text).where(Notification.person_id == person.id)).all())


def test_leaders_of_the_affected_departments_hear_of_a_new_proposal(db: Session, employee: Person) -> None:
    care, finance = factories.department(db, name="Care"), factories.department(db, name="Finance")
    care_lead = factories.person(db, role=Role.leader, in_team=factories.team(db, dept=care))
    finance_lead = factories.person(db, role=Role.leader, in_team=factories.team(db, dept=finance))
    proposal_service.create(
        db,
        actor=employee,
        data=ProposalCreate(
            title="Call back within a day",
            problem="p",
            change="c",
            anonymous=True,
            department_ids=[care.id or 0],
        ),
    )
    assert texts(db, care_lead) == ["New proposal for your review: “Call back within a day”"]
    assert texts(db, finance_lead) == []


def test_past_the_target_leaders_are_told_again_and_at_twice_the_target_admins_each_once(
    db: Session, employee: Person, admin: Person
) -> None:
    care = factories.department(db, name="Care")
    lead = factories.person(db, role=Role.leader, in_team=factories.team(db, dept=care))
    proposal = proposal_service.create(
        db,
        actor=employee,
        data=ProposalCreate(title="Fewer forms", problem="p", change="c", department_ids=[care.id or 0]),
    )
    assert reminders.remind(db) == (0, 0)  # not yet due
    proposal.created_at = utcnow() - timedelta(days=15)
    db.add(proposal)
    db.commit()
    assert reminders.remind(db) == (1, 0)
    assert reminders.remind(db) == (0, 0)  # once
    assert any("past the 14-day target" in t for t in texts(db, lead))
    proposal.created_at = utcnow() - timedelta(days=29)
    db.add(proposal)
    db.commit()
    assert reminders.remind(db) == (0, 1)
    assert reminders.remind(db) == (0, 0)
    assert any(t.startswith("Escalated: “Fewer forms”") for t in texts(db, admin))
