"""The dashboard's numbers, and who sees what."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.dashboard import service as dashboard_service
from app.dashboard.models import InsightReach
from app.insights.models import Kind
from app.people.models import Department, Person, Team
from app.proposals import decisions
from app.proposals import service as proposal_service
from app.proposals.models import ProposalInsight
from app.proposals.schemas import Decision, ProposalCreate
from tests import factories
from tests.browser import Browser


def test_reach_counts_people_per_day_not_clicks(browser: Browser, db: Session, employee: Person) -> None:
    insight = factories.insight(db)
    browser.sign_in_as(employee)
    for _ in range(3):
        assert browser.get(f"/insights/{insight.id}").status_code == 200
    assert len(db.exec(select(InsightReach)).all()) == 1
    team = db.get(Team, employee.team_id)
    department = db.get(Department, team.department_id) if team else None
    row = next(d for d in dashboard_service.build(db).departments if department and d.name == department.name)
    assert row.reached == 1 and 0 < row.reach_share <= 1


def test_responsiveness_conversion_and_participation(db: Session, leader: Person) -> None:
    team = factories.team(db, name="Crew")
    author = factories.person(db, in_team=team)
    quick = proposal_service.create(
        db, actor=author, data=ProposalCreate(title="Quick answer", problem="p", change="c")
    )
    slow = proposal_service.create(
        db, actor=author, data=ProposalCreate(title="Never answered", problem="p", change="c")
    )
    slow.created_at = slow.created_at - timedelta(days=30)
    db.add(slow)
    db.commit()
    decisions.decide(
        db,
        actor=leader,
        proposal_id=quick.id or 0,
        decision=Decision(status="accepted", response="Yes.", owner_team=team.id),
    )
    board = dashboard_service.build(db)
    assert board.proposals_total == 2 and board.answered == 1
    assert board.median_days_to_response is not None and board.median_days_to_response < 1
    assert board.answered_within_target == 0.5  # one in time, one overdue without an answer
    assert board.accepted_share == 0.5 and board.done_share == 0.0
    department = db.get(Department, team.department_id)
    assert department is not None
    crew = next(d for d in board.departments if d.name == department.name)
    assert crew.proposals == 1  # the other one is older than the 30-day window


def test_heat_strip_puts_pain_points_and_open_proposals_at_their_stage(db: Session, employee: Person) -> None:
    journey = factories.insight(db, kind=Kind.journey_map, title="Ordering")
    wait = factories.stage(db, journey=journey, name="Wait", emotion=-2, position=0)
    factories.stage(db, journey=journey, name="Receive", emotion=1, position=1)
    pain = factories.insight(db, kind=Kind.pain_point, title="Late", journey_stage_id=wait.id)
    proposal = factories.proposal(db)
    db.add(ProposalInsight(proposal_id=proposal.id or 0, insight_id=pain.id or 0))
    db.commit()
    [heat] = dashboard_service.build(db).journeys
    assert [(s.name, s.emotion, s.pain_points, s.proposals) for s in heat.stages] == [
        ("Wait", -2, 1, 1),
        ("Receive", 1, 0, 0),
    ]


def test_everyone_sees_the_summary_leaders_see_reach_and_csv(
    browser: Browser, db: Session, employee: Person, leader: Person
) -> None:
    summary = browser.sign_in_as(employee).get("/dashboard")
    assert summary.status_code == 200 and "Responsiveness" in summary.text and "Reach:" not in summary.text
    assert browser.get("/dashboard.csv").status_code == 403
    full = browser.sign_in_as(leader).get("/dashboard")
    assert "Reach: who opened an insight" in full.text and '<svg role="img"' in full.text
    csv = browser.get("/dashboard.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "section,name,measure,value" and "responsiveness,all" in csv.text


def test_the_page_says_how_fresh_its_figures_are_and_shows_a_new_proposal_at_once(
    browser: Browser, db: Session, employee: Person, leader: Person
) -> None:
    """The figures are kept for a minute (they read every proposal): the page says as of when,
    and a change made through this process shows on the next view all the same."""
    browser.sign_in_as(leader)
    first = browser.get("/dashboard").text
    assert "Figures as of" in first and "computed again after a minute" in first
    assert "(0 of 0 proposals answered)" in first
    proposal_service.create(
        db, actor=employee, data=ProposalCreate(title="Print labels at the dock", problem="p", change="c")
    )
    assert "(0 of 1 proposals answered)" in browser.get("/dashboard").text


def test_the_kept_dashboard_outlives_a_rollback_of_the_session_that_computed_it(db: Session) -> None:
    """Another request reads the kept board later: its journey maps must still read."""
    factories.insight(db, kind=Kind.journey_map, title="Delivery journey")
    board = dashboard_service.current(db)
    db.rollback()  # as a service that refuses does, expiring what its session loaded
    db.expunge_all()  # and the request ends: its session closes
    kept = dashboard_service.current(db)
    assert kept is board
    assert [heat.journey.title for heat in kept.journeys] == ["Delivery journey"]
