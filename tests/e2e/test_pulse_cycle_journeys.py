"""The whole pulse cycle in a real browser: a leader schedules rounds, the schedule opens one, a
reminder reaches the one person who has not answered (and nobody else), the round closes, a team
member reads the team's result, the lead adds an action, and the next round shows the change."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.core.models import utcnow
from app.people import service as people_service
from app.people.models import Person, Team
from app.people.schemas import PersonCreate
from app.pulse import reminders, schedules
from app.pulse import service as pulse_service
from app.pulse.models import PulseRound, PulseSchedule
from app.pulse.schemas import AnswersIn
from tests.e2e.conftest import PASSWORD, LiveServer, fill_in, sign_in

pytestmark = pytest.mark.e2e

NIGHT = ["nina", "rita", "nils", "noor", "nico", "nell", "nate"]  # Nina leads; Nils never answers
DAY = ["dora", "dave", "dina", "dirk", "dana", "drew"]


def _crews(session: Session) -> tuple[Team, Team]:
    warehouse = people_service.get_or_create_department(session, name="Warehouse")
    night = people_service.get_or_create_team(session, name="Night Crew", department=warehouse)
    day = people_service.get_or_create_team(session, name="Day Crew", department=warehouse)
    for names, team in ((NIGHT, night), (DAY, day)):
        for name in names:
            if people_service.get_by_email(session, email=f"{name}@e2e.test") is None:
                data = PersonCreate(
                    email=f"{name}@e2e.test", name=name.title(), team_id=team.id, password=PASSWORD
                )
                people_service.create(session, actor=None, data=data)
    night.lead_id = people_service.get_by_email(session, email="nina@e2e.test").id  # type: ignore[union-attr]
    session.add(night)
    session.commit()
    return night, day


def _answer(session: Session, round_id: int, value: int, skip: set[str]) -> None:
    """Everyone invited answers (through the service, as their own browsers would), but `skip`."""
    items = pulse_service.items(session, round_id=round_id)
    for name in NIGHT + DAY:
        person = people_service.get_by_email(session, email=f"{name}@e2e.test")
        assert person is not None
        if name in skip or pulse_service.for_person(session, person=person, round_id=round_id).answered:
            continue
        answers = AnswersIn(answers={i.id or 0: value for i in items})
        pulse_service.answer(session, actor=person, round_id=round_id, data=answers)


def _open_scheduled(live_server: LiveServer, schedule_title: str) -> int:
    """What `portal pulse tick` does (the live portal's worker may get there first: either way one
    round opens); returns the newest round of the schedule."""
    with live_server.session() as session:
        schedule = session.exec(select(PulseSchedule).where(PulseSchedule.title == schedule_title)).one()
        schedules.tick(session)
        newest = session.exec(
            select(PulseRound).where(PulseRound.schedule_id == schedule.id).order_by(PulseRound.id.desc())  # type: ignore[union-attr]
        ).first()
        assert newest is not None and newest.closed_at is None
        return newest.id or 0


def test_the_whole_pulse_cycle(page: Page, live_server: LiveServer) -> None:
    with live_server.session() as session:
        night, _day = _crews(session)
    title = f"Crew pulse {live_server.screen}"

    # Leo schedules a monthly round for both crews, opening today.
    sign_in(page, "leo@e2e.test")
    page.goto("/pulse")
    page.get_by_role("link", name="Schedule rounds").first.click()
    fill_in(
        page, {"Title": title, "How often": "monthly", "First round opens on": utcnow().date().isoformat()}
    )
    page.get_by_label("Days open").fill("7")
    page.get_by_role("checkbox", name=re.compile("Night Crew")).check()
    page.get_by_role("checkbox", name=re.compile("Day Crew")).check()
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("Scheduled: the first round opens on")).to_be_visible()
    expect(
        page.get_by_role("cell", name=re.compile("Night Crew, Day Crew|Day Crew, Night Crew"))
    ).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # The schedule opens the round; Rita answers from her home page.
    round_id = _open_scheduled(live_server, title)
    sign_in(page, "rita@e2e.test")
    page.get_by_role("link", name="Answer the pulse").click()
    expect(page.locator("fieldset.pulse-item")).to_have_count(8)
    for statement in page.locator("fieldset.pulse-item").all():
        statement.locator('input[value="3"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Your answers are in")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Everyone else answers but Nils; then the reminder goes out (`portal pulse remind`).
    with live_server.session() as session:
        _answer(session, round_id, 3, skip={"nils"})
        assert reminders.now(session, round_id=round_id) == 1
    sign_in(page, "nils@e2e.test")
    page.goto("/notifications")
    expect(page.get_by_text(re.compile(r"Reminder: “Crew pulse"))).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "rita@e2e.test")
    page.goto("/notifications")
    expect(page.get_by_text(re.compile(r"Reminder: “Crew pulse"))).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    # Leo closes the round: the results are released.
    sign_in(page, "leo@e2e.test")
    page.goto(f"/pulse/{round_id}")
    page.locator("summary", has_text="Close now and release results").click()
    page.get_by_role("button", name="Yes, close the round").click()
    expect(page.get_by_text("The round is closed and its results are released.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Rita reads her team's row beside the department and the company, and not the other crew's.
    sign_in(page, "rita@e2e.test")
    page.goto(f"/pulse/{round_id}/results")
    row = page.locator("tr", has_text="Night Crew")
    expect(row.locator(".heat-cell").first).to_have_text("3.0")
    expect(page.locator("tr", has_text="Day Crew")).to_have_count(0)
    page.get_by_role("link", name="What your team is doing about it").click()
    expect(page.get_by_role("heading", name="Night Crew: team pulse")).to_be_visible()
    expect(page.get_by_text("No actions yet")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Nina, the lead, picks the quality to work on and adds an action.
    sign_in(page, "nina@e2e.test")
    page.goto(f"/pulse/teams/{night.id}")
    page.get_by_role("radio", name=re.compile("Open conversation")).check()
    page.get_by_label("What the team will do").fill("Open each handover with what went wrong yesterday")
    page.get_by_label("Due on").fill((utcnow().date() + timedelta(days=21)).isoformat())
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_text("Action added.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # A month later the schedule opens the next round; the same people answer, higher; it closes.
    with live_server.session() as session:
        schedule = session.exec(select(PulseSchedule).where(PulseSchedule.title == title)).one()
        schedule.next_opens_on = utcnow().date()  # as if a month had passed
        session.add(schedule)
        session.commit()
    next_id = _open_scheduled(live_server, title)
    assert next_id != round_id
    with live_server.session() as session:
        _answer(session, next_id, 4, skip={"nils"})
        leo = session.exec(select(Person).where(Person.email == "leo@e2e.test")).one()
        pulse_service.close(session, actor=leo, round_id=next_id)

    # Rita sees the change of that quality beside the action; everyone sees the plan.
    sign_in(page, "rita@e2e.test")
    page.goto(f"/pulse/teams/{night.id}")
    action = page.locator("li.card", has_text="Open each handover")
    expect(action).to_contain_text("Open conversation was 3.0")
    expect(action).to_contain_text("+1.0")
    page.goto("/pulse/actions")
    expect(page.get_by_role("heading", name="Warehouse")).to_be_visible()
    expect(page.get_by_text("Open each handover with what went wrong yesterday")).to_be_visible()
    expect(page.get_by_text("Night Crew")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    # Leo stops the schedule, so the shared portal opens no more rounds for the crews.
    sign_in(page, "leo@e2e.test")
    page.goto("/pulse")
    page.locator("summary", has_text="Stop").first.click()
    page.get_by_role("button", name="Yes, stop it").click()
    expect(page.get_by_text("opens no more rounds")).to_be_visible()
