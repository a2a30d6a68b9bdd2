"""Team pulse in a real browser: a leader opens a round, an employee answers from the home page,
and after closing, the heat map shows the company and says why a small team is hidden. The leader
answered too, so the company's figures (five answers, theirs among them) are not shown to them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from app.people import service as people_service
from app.people.models import Person
from app.people.schemas import PersonCreate
from app.pulse import service as pulse_service
from app.pulse.models import PulseInvitation
from app.pulse.schemas import AnswersIn
from tests.e2e.conftest import PASSWORD, LiveServer, sign_in

pytestmark = pytest.mark.e2e


def test_leader_opens_employee_answers_and_a_small_team_stays_hidden(
    page: Page, live_server: LiveServer
) -> None:
    # The round goes to CX Research and Last Mile, six people in all (other journeys may have added
    # someone to CX Research, so Last Mile is filled up to six): Ada, the admin, will not answer.
    with live_server.session() as session:
        teams = {t.name: t for t, _d in people_service.list_teams(session)}
        chosen = [teams["CX Research"].id, teams["Last Mile"].id]
        members = session.exec(select(Person).where(col(Person.team_id).in_(chosen))).all()
        assert len(members) <= 6, "this journey needs at most six people in its two teams"
        for n in range(6 - len(members)):
            data = PersonCreate(
                email=f"pia{n}@e2e.test", name=f"Pia Planner {n}", team_id=chosen[1], password=PASSWORD
            )
            people_service.create(session, actor=None, data=data)
    sign_in(page, "leo@e2e.test")
    page.get_by_role("link", name="Pulse").click()
    page.get_by_role("link", name="Open a pulse round").first.click()
    page.get_by_label("Title").fill("E2E pulse")
    page.get_by_role("checkbox", name=re.compile("CX Research")).check()
    page.get_by_role("checkbox", name=re.compile("Last Mile")).check()
    page.get_by_role("button", name="Open the round").click()
    expect(page.get_by_text(re.compile(r"Pulse round opened for \d+ people\."))).to_be_visible()
    round_id = int(re.search(r"/pulse/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.get_by_role("button", name="Sign out").click()

    # Erin finds it on her home page, reads why it is anonymous, and answers.
    sign_in(page, "erin@e2e.test")
    page.get_by_role("link", name="Answer the pulse").click()
    expect(page.get_by_text("Why nobody can tell what you answered")).to_be_visible()
    for statement in page.locator("fieldset.pulse-item").all():
        statement.locator('input[value="4"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Your answers are in")).to_be_visible()
    expect(page.get_by_role("heading", name="You have answered this round")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Everyone else invited answers too (through the service, as their own browsers would).
    with live_server.session() as session:
        items = pulse_service.items(session, round_id=round_id)
        invited = session.exec(
            select(PulseInvitation.person_id).where(PulseInvitation.round_id == round_id)
        ).all()
        for person_id in invited:
            person = session.get(Person, person_id)
            if person is None or person.email in ("erin@e2e.test", "ada@e2e.test"):
                continue  # Erin answered in her browser; Ada, the admin, does not answer
            pulse_service.answer(
                session,
                actor=person,
                round_id=round_id,
                data=AnswersIn(answers={i.id or 0: 3 for i in items}),
            )

    sign_in(page, "leo@e2e.test")
    page.goto(f"/pulse/{round_id}")
    page.locator("summary", has_text="Close now and release results").click()  # it asks first
    expect(page.get_by_text("It cannot be reopened.")).to_be_visible()
    page.get_by_role("button", name="Yes, close the round").click()
    expect(page.get_by_text("The round is closed and its results are released.")).to_be_visible()
    # Leo answered: of the company's five answers, four are not his, so he sees no figures (R13).
    company = page.locator("#group-company")
    expect(company).to_contain_text("Fewer than 5 people besides you answered")
    page.get_by_role("button", name="Sign out").click()

    # Ada did not answer: she reads the company's figures.
    sign_in(page, "ada@e2e.test")
    page.goto(f"/pulse/{round_id}/results")
    expect(company).to_contain_text("80 %")
    expect(company.locator(".heat-cell").first).to_have_text(re.compile(r"\d\.\d"))
    # Two people in Last Mile: the team never shows a result, and says why.
    expect(page.locator("tr", has_text="Last Mile")).to_contain_text("Fewer than 5 people were asked here")
