"""Leaders decide in public: rules, notifications, audit, duplicates, fair work, the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.errors import PermissionDenied, ValidationFailed
from app.notifications.models import Notification
from app.people.models import Person
from app.proposals import decisions
from app.proposals import service as proposal_service
from app.proposals.models import ProposalStatus, Support
from app.proposals.schemas import Decision, ProposalCreate
from tests import factories
from tests.browser import Browser, bearer


def propose(db: Session, actor: Person, title: str = "Call before delivery", **extra: object) -> int:
    proposal = proposal_service.create(
        db,
        actor=actor,
        data=ProposalCreate.model_validate({"title": title, "problem": "p", "change": "c", **extra}),
    )
    assert proposal.id is not None
    return proposal.id


def decide(db: Session, leader: Person, pid: int, status: str, response: str, **extra: object) -> None:
    decision = Decision.model_validate({"status": status, "response": response, **extra})
    decisions.decide(db, actor=leader, proposal_id=pid, decision=decision)


def notes(db: Session, person: Person) -> list[str]:
    return [n.text for n in db.exec(select(Notification).where(Notification.person_id == person.id)).all()]


def test_leader_decides_with_a_response_and_everyone_involved_is_told(
    db: Session, employee: Person, cx: Person, leader: Person, admin: Person
) -> None:
    insight = factories.insight(db, author=cx)
    pid = propose(db, employee, anonymous=True, insight_ids=[insight.id])
    proposal_service.support(db, actor=admin, proposal_id=pid)
    decide(db, leader, pid, "under_review", "We are **looking** at the routes.")
    proposal = proposal_service.get(db, proposal_id=pid)
    assert proposal.status == ProposalStatus.under_review and proposal.first_response_at is not None
    expected = "“Call before delivery” is now under review: “We are looking at the routes.”"
    for person in (employee, cx, admin):  # proposer (anonymous too), evidence author, supporter
        assert notes(db, person) == [expected]
    # The leader heard of the new proposal (it names no department: every leader does), never of
    # their own decision.
    assert notes(db, leader) == ["New proposal for your review: “Call before delivery”"]
    [(response, author)] = decisions.timeline(db, proposal_id=pid)
    assert (response.from_status, response.to_status, author) == (
        ProposalStatus.new,
        ProposalStatus.under_review,
        leader,
    )
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "proposal.decide")).one()
    assert audit.actor_id == leader.id and audit.entity_id == pid


@pytest.mark.parametrize("role", ["employee", "cx"])
def test_only_leaders_decide(db: Session, personas: dict[str, Person], role: str) -> None:
    pid = propose(db, personas["employee"])
    with pytest.raises(PermissionDenied):
        decisions.decide(
            db, actor=personas[role], proposal_id=pid, decision=Decision(status="declined", response="No.")
        )
    assert proposal_service.get(db, proposal_id=pid).status == ProposalStatus.new


@pytest.mark.parametrize(
    "decision",
    [
        Decision(status="declined", response="  "),
        Decision(status="finished", response="Done."),
        Decision(status="duplicate", response="Same as another."),
    ],
)
def test_refused_decisions_change_nothing(
    db: Session, employee: Person, leader: Person, decision: Decision
) -> None:
    pid = propose(db, employee)
    with pytest.raises(ValidationFailed):
        decisions.decide(db, actor=leader, proposal_id=pid, decision=decision)
    db.rollback()
    proposal = proposal_service.get(db, proposal_id=pid)
    assert proposal.status == ProposalStatus.new and decisions.timeline(db, proposal_id=pid) == []
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "proposal.decide")).all() == []


def test_accepting_assigns_the_suggested_least_loaded_team(
    db: Session, employee: Person, leader: Person
) -> None:
    dept = factories.department(db, name="Logistics")
    busy = factories.team(db, name="Busy Vans", dept=dept)
    free = factories.team(db, name="Free Vans", dept=dept)
    factories.team(db, name="Elsewhere")
    earlier = propose(db, employee, title="Earlier work item")
    decide(db, leader, earlier, "accepted", "Go.", owner_team=busy.name)
    pid = propose(db, employee, department_ids=[dept.id])
    suggested = decisions.suggest_team(db, proposal_id=pid)
    assert suggested is not None and suggested.team.id == free.id
    decide(db, leader, pid, "accepted", "Yes.", owner_team=free.id)
    loads = {load.team.name: load.open_count for load in decisions.team_loads(db)}
    assert loads["Busy Vans"] == 1 and loads["Free Vans"] == 1


def test_duplicate_merges_supporters_once_and_links_both_ways(
    db: Session, employee: Person, cx: Person, leader: Person, admin: Person
) -> None:
    original = propose(db, employee, title="Evening slots")
    duplicate = propose(db, cx, title="Deliver after six")
    proposal_service.support(db, actor=admin, proposal_id=original)
    proposal_service.support(db, actor=admin, proposal_id=duplicate)
    decide(db, leader, duplicate, "duplicate", "Same idea.", duplicate_of=original)
    backers = sorted(
        s.person_id for s in db.exec(select(Support).where(Support.proposal_id == original)).all()
    )
    assert backers == sorted([admin.id, cx.id])  # the duplicate's author and supporter, each once
    assert proposal_service.get(db, proposal_id=original).support_count == 2
    assert [p.id for p in proposal_service.duplicates_of(db, proposal_id=original)] == [duplicate]
    assert any("was merged into “Evening slots”" in text for text in notes(db, cx))


def test_review_queue_orders_by_support_and_flags_overdue(
    db: Session, employee: Person, leader: Person
) -> None:
    old = propose(db, employee, title="Old and quiet")
    popular = propose(db, employee, title="Popular")
    proposal = proposal_service.get(db, proposal_id=old)
    proposal.created_at = proposal.created_at - timedelta(days=20)
    db.add(proposal)
    db.commit()
    proposal_service.support(db, actor=leader, proposal_id=popular)
    queue = decisions.review_queue(db)
    assert [item.proposal.id for item in queue] == [popular, old]
    assert [item.overdue for item in queue] == [False, True] and queue[1].waiting_days == 20


def test_review_page_is_for_leaders_and_decision_form_works(
    browser: Browser, db: Session, employee: Person, leader: Person
) -> None:
    pid = propose(db, employee, title="Queue me")
    assert browser.sign_in_as(employee).get("/review").status_code == 403
    page = browser.sign_in_as(leader).get("/review")
    assert page.status_code == 200 and "Queue me" in page.text
    refused = browser.post(f"/proposals/{pid}/decision", {"status": "declined", "response": ""})
    assert refused.status_code == 422 and "Every decision needs an official response" in refused.text
    done = browser.post(f"/proposals/{pid}/decision", {"status": "declined", "response": "Not this year."})
    assert done.status_code == 303
    detail = browser.get(f"/proposals/{pid}")
    assert "Not this year." in detail.text and "Official responses" in detail.text


def test_decision_api(browser: Browser, db: Session, employee: Person, leader: Person) -> None:
    team = factories.team(db, name="Last Mile")
    pid = propose(db, employee)
    employee_headers = bearer(auth_service.create_token(db, actor=employee, owner=employee).token)
    leader_headers = bearer(auth_service.create_token(db, actor=leader, owner=leader).token)
    body = {"status": "accepted", "response": "We will do it.", "owner_team": "Last Mile"}
    assert (
        browser.client.post(
            f"/api/v1/proposals/{pid}/decision", headers=employee_headers, json=body
        ).status_code
        == 403
    )
    response = browser.client.post(f"/api/v1/proposals/{pid}/decision", headers=leader_headers, json=body)
    assert response.status_code == 200
    read = response.json()
    assert read["status"] == "accepted" and read["owner_team"] == team.name
    assert read["responses"][0]["response"] == "We will do it."
    bad = browser.client.post(
        f"/api/v1/proposals/{pid}/decision", headers=leader_headers, json={"status": "nope", "response": "x"}
    )
    assert bad.status_code == 422


def test_success_story_names_done_proposals_and_their_people_hear_it(
    browser: Browser, db: Session, employee: Person, cx: Person, leader: Person, admin: Person
) -> None:
    from app.flows import outcomes
    from app.insights.schemas import InsightCreate

    team = factories.team(db, name="Last Mile")
    pid = propose(db, employee, title="Call before delivery")
    proposal_service.support(db, actor=admin, proposal_id=pid)
    not_done = propose(db, employee, title="Still open")
    with pytest.raises(ValidationFailed):
        outcomes.create_insight(
            db,
            actor=cx,
            data=InsightCreate.model_validate(
                {"kind": "success_story", "title": "Too early", "proposal_ids": [not_done]}
            ),
        )
    db.rollback()
    for status, response in [("accepted", "Yes."), ("done", "Live in all regions.")]:
        decide(db, leader, pid, status, response, owner_team=team.id)
    story = outcomes.create_insight(
        db,
        actor=cx,
        data=InsightCreate.model_validate(
            {"kind": "success_story", "title": "Missed deliveries down a third", "proposal_ids": [pid]}
        ),
    )
    assert outcomes.read(db, story).proposal_ids == [pid]
    said_did = (
        "You said, we did: “Call before delivery” led to the success story “Missed deliveries down a third”."
    )
    assert said_did in notes(db, employee) and said_did in notes(db, admin)
    page = browser.sign_in_as(employee).get(f"/proposals/{pid}")
    assert "The outcome" in page.text and "Missed deliveries down a third" in page.text
    story_page = browser.get(f"/insights/{story.id}")
    assert "It came from these proposals" in story_page.text


def test_workload_board_shows_what_each_team_carries(
    browser: Browser, db: Session, employee: Person, leader: Person
) -> None:
    team = factories.team(db, name="Night Crew")
    pid = propose(db, employee, title="Evening slots")
    decide(db, leader, pid, "accepted", "Yes.", owner_team=team.name)
    assert browser.sign_in_as(employee).get("/workload").status_code == 403
    page = browser.sign_in_as(leader).get("/workload")
    assert "Night Crew" in page.text and "Evening slots" in page.text


# --- the owner team belongs to accepted work only; a merge is picked and confirmed ---------------


def test_a_declined_or_duplicate_proposal_gets_no_owner_team(
    db: Session, employee: Person, leader: Person
) -> None:
    team = factories.team(db, name="Night Crew")
    declined = propose(db, employee, title="Paint the vans pink")
    decide(db, leader, declined, "declined", "Not now.", owner_team=team.id)
    original = propose(db, employee, title="Evening slots for working families")
    duplicate = propose(db, employee, title="Evening slots again")
    decide(db, leader, duplicate, "duplicate", "Same.", owner_team=team.id, duplicate_of=original)
    for pid in (declined, duplicate):
        assert proposal_service.get(db, proposal_id=pid).owner_team_id is None


def test_accepting_without_a_choice_gives_it_to_the_suggested_team(
    db: Session, employee: Person, leader: Person
) -> None:
    factories.team(db, name="Night Crew")
    pid = propose(db, employee, title="Evening slots")
    suggested = decisions.suggest_team(db, proposal_id=pid)
    assert suggested is not None
    decide(db, leader, pid, "accepted", "Yes.")
    assert proposal_service.get(db, proposal_id=pid).owner_team_id == suggested.team.id


def test_the_decision_form_preselects_no_owner_team(
    browser: Browser, db: Session, employee: Person, leader: Person
) -> None:
    factories.team(db, name="Night Crew")
    pid = propose(db, employee, title="Evening slots")
    page = browser.sign_in_as(leader).get(f"/proposals/{pid}").text
    select = page[
        page.index('<select id="f-owner_team"') : page.index("</select>", page.index('id="f-owner_team"'))
    ]
    assert "selected" not in select and "Accepted without a choice, it goes to" in page


def test_a_merge_is_picked_by_title_and_confirmed_before_anything_moves(
    browser: Browser, db: Session, employee: Person, cx: Person, leader: Person
) -> None:
    original = propose(db, employee, title="Evening delivery slots")
    propose(db, employee, title="Evening newsletter")
    duplicate = propose(db, cx, title="Deliver after six")
    proposal_service.support(db, actor=employee, proposal_id=duplicate)
    browser.sign_in_as(leader)
    form = {"status": "duplicate", "response": "The same idea.", "duplicate_of": "evening delivery"}
    asked = browser.post(f"/proposals/{duplicate}/decision", form)
    assert asked.status_code == 200
    assert "Merge this proposal into another?" in asked.text and "Evening delivery slots" in asked.text
    assert "Evening newsletter" not in asked.text  # both words must match
    assert proposal_service.get(db, proposal_id=duplicate).status.value == "new"  # nothing moved yet
    assert notes(db, cx) == []

    confirmed = browser.post(
        f"/proposals/{duplicate}/decision", {**form, "duplicate_of": str(original), "confirm_merge": "1"}
    )
    assert confirmed.status_code == 303
    assert proposal_service.get(db, proposal_id=duplicate).duplicate_of_id == original


def test_a_mistyped_number_shows_what_it_names_and_merges_nothing(
    browser: Browser, db: Session, employee: Person, leader: Person
) -> None:
    unrelated = propose(db, employee, title="Recycle the packaging")
    duplicate = propose(db, employee, title="Deliver after six")
    browser.sign_in_as(leader)
    form = {"status": "duplicate", "response": "Same.", "duplicate_of": str(unrelated)}
    asked = browser.post(f"/proposals/{duplicate}/decision", form)
    assert asked.status_code == 200 and f"#{unrelated} Recycle the packaging" in asked.text
    assert "proposal-status status-new" in asked.text
    assert proposal_service.get(db, proposal_id=duplicate).duplicate_of_id is None
    nothing = browser.post(f"/proposals/{duplicate}/decision", {**form, "duplicate_of": "no such words"})
    assert nothing.status_code == 422 and "No open proposal matches that" in nothing.text
