"""The pulse cycle without HTTP: schedules, the tick, reminders, team results, actions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from app.core.errors import Conflict, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.notifications.models import Notification
from app.people.models import Person, Team
from app.proposals.models import Proposal, ProposalDepartment
from app.pulse import actions as action_service
from app.pulse import reminders, schedules
from app.pulse import service as pulse_service
from app.pulse.models import PulseAction, PulseItem, PulseRound
from app.pulse.schemas import ActionCreate, ScheduleCreate
from tests import factories


def schedule_for(db: Session, leader: Person, teams: list[Team], **extra: object) -> ScheduleCreate:
    data: dict[str, object] = {
        "title": "Team pulse",
        "cadence": "monthly",
        "team_ids": [t.id or 0 for t in teams],
        "open_days": 7,
        "first_opens_on": utcnow().date(),
        **extra,
    }
    return ScheduleCreate.model_validate(data)


def reminded(db: Session, round_: PulseRound) -> set[int]:
    rows = db.exec(
        select(Notification.person_id).where(
            Notification.url == f"/pulse/{round_.id}", col(Notification.text).startswith("Reminder")
        )
    ).all()
    return set(rows)


def closed_round(
    db: Session, leader: Person, teams: list[Team], answering: list[Person], value: int = 4
) -> PulseRound:
    return factories.closed_pulse(db, by=leader, teams=teams, answering=answering, value=value)


# --- schedules and the tick ----------------------------------------------------------------------


def test_a_schedule_is_for_leaders_and_refused_below_k(db: Session, leader: Person, employee: Person) -> None:
    small, _four = factories.team_of(db, 4)
    with pytest.raises(PermissionDenied):
        schedules.create(db, actor=employee, data=schedule_for(db, employee, [small]))
    with pytest.raises(ValidationFailed) as refused:
        schedules.create(db, actor=leader, data=schedule_for(db, leader, [small]))
    assert "at least 5 people" in refused.value.errors["team_ids"]
    big, _five = factories.team_of(db, 5)
    with pytest.raises(ValidationFailed) as too_long:
        schedules.create(db, actor=leader, data=schedule_for(db, leader, [big], open_days=40))
    assert "before the next one opens" in too_long.value.errors["open_days"]


def test_the_tick_opens_a_due_round_once_with_the_statements_and_k_copied(
    db: Session, leader: Person
) -> None:
    team, people = factories.team_of(db, 6)
    today = utcnow().date()
    schedule = schedules.create(db, actor=leader, data=schedule_for(db, leader, [team], first_opens_on=today))
    done = schedules.tick(db, today=today)
    assert len(done.opened) == 1
    round_ = done.opened[0]
    assert round_.schedule_id == schedule.id and round_.min_group == 5
    assert round_.title.startswith("Team pulse, ") and str(today.year) in round_.title
    assert round_.closes_on == today + timedelta(days=6)
    assert len(db.exec(select(PulseItem).where(PulseItem.round_id == round_.id)).all()) == 8
    assert pulse_service.invited_count(db, round_id=round_.id or 0) == 6
    db.refresh(schedule)
    assert schedule.next_opens_on == schedules.add_months(today, 1)
    assert schedules.tick(db, today=today).opened == []  # the same day again: nothing new
    # Everyone invited is told, the schedule's owner included when in the teams.
    assert pulse_service.open_for(db, person=people[0]) == [round_]


def test_a_worker_stopped_for_months_opens_one_round_and_moves_on(db: Session, leader: Person) -> None:
    team, _people = factories.team_of(db, 5)
    today = utcnow().date()
    schedule = schedules.create(db, actor=leader, data=schedule_for(db, leader, [team], first_opens_on=today))
    later = schedules.add_months(today, 3)
    assert len(schedules.tick(db, today=later).opened) == 1
    db.refresh(schedule)
    assert schedule.next_opens_on > later


def test_a_launch_with_fewer_than_k_people_left_opens_nothing_and_says_why(
    db: Session, leader: Person
) -> None:
    team, people = factories.team_of(db, 5)
    today = utcnow().date()
    schedule = schedules.create(db, actor=leader, data=schedule_for(db, leader, [team], first_opens_on=today))
    people[0].is_active = False
    db.add(people[0])
    db.commit()
    done = schedules.tick(db, today=today)
    assert done.opened == [] and done.skipped == [schedule]
    assert "was not opened" in schedule.last_problem
    told = db.exec(select(Notification).where(Notification.person_id == leader.id)).all()
    assert any("was not opened" in n.text for n in told)


def test_quarterly_titles_and_month_ends() -> None:
    assert schedules.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert schedules.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    quarterly = factories.PulseSchedule(
        title="Pulse", cadence="quarterly", open_days=7, next_opens_on=date.today()
    )
    assert schedules.round_title(quarterly, date(2027, 5, 3)) == "Pulse, Q2 2027"


def test_the_tick_closes_rounds_past_their_last_day(db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team], days=2)
    factories.answer_pulse(db, round_, people)
    assert schedules.tick(db, today=round_.closes_on).closed == 0
    assert schedules.tick(db, today=round_.closes_on + timedelta(days=1)).closed == 1
    db.refresh(round_)
    assert round_.closed_at is not None
    # Everyone asked hears the results are out, alike: who answered is not known.
    told = db.exec(
        select(Notification.person_id).where(Notification.url == f"/pulse/{round_.id}/results")
    ).all()
    assert set(told) == {p.id for p in people}


def test_stopping_a_schedule_opens_no_more_rounds(db: Session, leader: Person) -> None:
    team, _people = factories.team_of(db, 5)
    schedule = schedules.create(db, actor=leader, data=schedule_for(db, leader, [team]))
    schedules.stop(db, actor=leader, schedule_id=schedule.id or 0)
    assert schedules.tick(db).opened == []


# --- reminders -----------------------------------------------------------------------------------


def test_reminders_go_halfway_and_the_day_before_the_last_to_non_respondents_only(
    db: Session, leader: Person
) -> None:
    team, people = factories.team_of(db, 6)
    round_ = factories.opened_pulse(db, by=leader, teams=[team], days=6)
    factories.answer_pulse(db, round_, people[:2])
    opened = round_.opened_at.date()
    assert reminders.due(db, today=opened) == 0  # the opening day has the invitation
    assert reminders.due(db, today=opened + timedelta(days=3)) == 1
    assert reminded(db, round_) == {p.id for p in people[2:]}
    assert reminders.due(db, today=opened + timedelta(days=3)) == 0  # once
    factories.answer_pulse(db, round_, people[2:4])
    before = len(db.exec(select(Notification)).all())
    assert reminders.due(db, today=round_.closes_on - timedelta(days=1)) == 1
    last = db.exec(select(Notification.person_id).order_by(col(Notification.id).desc()).limit(2)).all()
    assert len(db.exec(select(Notification)).all()) == before + 2 and set(last) == {p.id for p in people[4:]}
    db.refresh(round_)
    assert round_.reminded_halfway_at and round_.reminded_last_day_at


def test_remind_now_reaches_only_those_who_have_not_answered(db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    factories.answer_pulse(db, round_, people[:3])
    assert reminders.now(db, round_id=round_.id) == 1
    assert reminded(db, round_) == {p.id for p in people[3:]}
    assert reminders.now(db, round_id=9999) == 0


# --- what a team member reads --------------------------------------------------------------------


def test_a_member_reads_their_team_department_and_company_as_the_heat_map_shows_them(
    db: Session, leader: Person
) -> None:
    dept = factories.department(db, name="Care")
    a = factories.team(db, name="Alpha", dept=dept)
    b = factories.team(db, name="Beta", dept=dept)
    alphas = [factories.person(db, in_team=a) for _ in range(6)]
    betas = [factories.person(db, in_team=b) for _ in range(6)]
    round_ = closed_round(db, leader, [a, b], alphas[:5] + betas, value=4)
    outsider = factories.person(db)
    mine = pulse_service.results(db, actor=alphas[5], round_id=round_.id or 0)
    assert mine.scope == "mine" and mine.release is not None
    assert {g.name for g in mine.release.groups} == {"Alpha", "Care", "Whole company"}
    full = pulse_service.results(db, actor=leader, round_id=round_.id or 0)
    assert full.release is not None
    for group in mine.release.groups:
        assert group.domains == full.release.group(group.key).domains
    assert mine.release.comments is None
    with pytest.raises(PermissionDenied):
        pulse_service.export_rows(db, actor=alphas[0], round_id=round_.id or 0)
    assert {
        g.name for g in pulse_service.results(db, actor=outsider, round_id=round_.id or 0).release.groups
    } == {  # type: ignore[union-attr]
        "Whole company"
    }


def test_a_member_who_answered_in_a_team_of_exactly_k_does_not_see_the_others(
    db: Session, leader: Person
) -> None:
    team, people = factories.team_of(db, 5)
    other, others = factories.team_of(db, 5)
    round_ = closed_round(db, leader, [team, other], people + others)
    mine = pulse_service.results(db, actor=people[0], round_id=round_.id or 0)
    assert mine.release is not None
    row = next(g for g in mine.release.groups if g.kind == "team")
    assert row.shown is False and "besides you" in row.reason


# --- actions -------------------------------------------------------------------------------------


@pytest.fixture
def shown_team(db: Session, leader: Person) -> tuple[Team, list[Person], PulseRound]:
    dept = factories.department(db, name="Operations")
    team = factories.team(db, name="Dock", dept=dept)
    people = [factories.person(db, in_team=team) for _ in range(6)]
    other = factories.team(db, name="Yard", dept=dept)
    others = [factories.person(db, in_team=other) for _ in range(6)]
    round_ = closed_round(db, leader, [team, other], people + others, value=3)
    factories.lead(db, team, people[0])
    return team, people, round_


def add(db: Session, actor: Person, round_: PulseRound, team: Team, **extra: object) -> PulseAction:
    data = ActionCreate.model_validate(
        {
            "quality": "open_conversation",
            "title": "Start retros with what went wrong",
            "due_on": utcnow().date() + timedelta(days=20),
            **extra,
        }
    )
    return action_service.add(db, actor=actor, round_id=round_.id or 0, team_id=team.id or 0, data=data)


def test_the_lead_and_leaders_add_actions_members_read_them(
    db: Session, leader: Person, shown_team: tuple[Team, list[Person], PulseRound]
) -> None:
    team, people, round_ = shown_team
    action = add(db, people[0], round_, team)
    add(db, leader, round_, team, quality="inclusivity", title="Rotate who runs the stand-up")
    with pytest.raises(PermissionDenied):
        add(db, people[1], round_, team)
    views = action_service.for_team(db, actor=people[3], team_id=team.id or 0)
    assert [v.action.title for v in views] == [action.title, "Rotate who runs the stand-up"]
    assert views[0].score_then == 3.0 and views[0].next_round is None
    with pytest.raises(PermissionDenied):
        action_service.for_team(db, actor=factories.person(db), team_id=team.id or 0)


def test_bad_actions_are_refused_with_a_clear_message(
    db: Session, leader: Person, shown_team: tuple[Team, list[Person], PulseRound]
) -> None:
    team, people, round_ = shown_team
    with pytest.raises(ValidationFailed) as bad_quality:
        add(db, leader, round_, team, quality="morale")
    assert "Open conversation" in bad_quality.value.errors["quality"]
    small, four = factories.team_of(db, 4)
    small_round = closed_round(db, leader, [small, team], four + people)
    with pytest.raises(ValidationFailed) as below_k:
        add(db, leader, small_round, small)
    assert "Fewer than 5 people" in below_k.value.errors["team_id"]
    still_open = factories.opened_pulse(db, by=leader, teams=[team])
    with pytest.raises(ValidationFailed) as open_round:
        add(db, leader, still_open, team)
    assert "still open" in open_round.value.errors["round_id"]


def test_the_next_round_shows_the_change_beside_the_action(
    db: Session, leader: Person, shown_team: tuple[Team, list[Person], PulseRound]
) -> None:
    team, people, round_ = shown_team
    action = add(db, people[0], round_, team)
    yard = db.exec(select(Team).where(Team.name == "Yard")).one()
    yard_people = list(db.exec(select(Person).where(Person.team_id == yard.id)).all())
    closed_round(db, leader, [team, yard], people + yard_people, value=4)
    view = action_service.for_team(db, actor=leader, team_id=team.id or 0)[0]
    assert view.action.id == action.id and (view.score_then, view.score_next, view.change) == (3.0, 4.0, 1.0)


def test_no_change_is_shown_when_the_answers_moved_by_fewer_than_k(
    db: Session, leader: Person, shown_team: tuple[Team, list[Person], PulseRound]
) -> None:
    team, people, round_ = shown_team
    add(db, people[0], round_, team)
    newcomers = [factories.person(db, in_team=team) for _ in range(2)]
    yard = db.exec(select(Team).where(Team.name == "Yard")).one()
    yard_people = list(db.exec(select(Person).where(Person.team_id == yard.id)).all())
    closed_round(db, leader, [team, yard], people + newcomers + yard_people, value=4)
    view = action_service.for_team(db, actor=leader, team_id=team.id or 0)[0]
    assert view.score_next == 4.0 and view.change is None


def test_done_and_a_proposal_through_the_normal_flow(
    db: Session, leader: Person, shown_team: tuple[Team, list[Person], PulseRound]
) -> None:
    team, people, round_ = shown_team
    action = add(db, people[0], round_, team)
    with pytest.raises(PermissionDenied):
        action_service.mark(db, actor=people[2], action_id=action.id or 0, done=True)
    assert action_service.mark(db, actor=people[0], action_id=action.id or 0, done=True).done_at is not None
    proposal_id = action_service.to_proposal(db, actor=people[0], action_id=action.id or 0)
    proposal = db.get(Proposal, proposal_id)
    assert proposal is not None and proposal.author_id == people[0].id and proposal.title == action.title
    assert "Dock" not in proposal.problem + proposal.change
    assert db.exec(
        select(ProposalDepartment.department_id).where(ProposalDepartment.proposal_id == proposal_id)
    ).all() == [team.department_id]
    with pytest.raises(Conflict):
        action_service.to_proposal(db, actor=people[0], action_id=action.id or 0)
    plan = action_service.company_plan(db)
    assert [(p.department, p.focus) for p in plan] == [("Operations", {"Open conversation": (0, 1)})]
    assert action_service.counts_by_department(db) == {"Operations": (0, 1)}
