"""The pulse cycle's pages and API: schedules, the rounds list, closing, team pages and actions."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app.auth import service as auth_service
from app.core.models import utcnow
from app.people.models import Person, Team
from app.pulse.models import PulseRound
from tests import factories
from tests.browser import Browser, assert_refused_at_the_fields, bearer


def token(db: Session, person: Person) -> dict[str, str]:
    return bearer(auth_service.create_token(db, actor=person, owner=person).token)


def closed_round(
    db: Session, leader: Person, teams: list[Team], people: list[Person], value: int = 3
) -> PulseRound:
    return factories.closed_pulse(db, by=leader, teams=teams, answering=people, value=value)


def test_schedules_api_has_the_design_shape_and_refuses_too_few_people(
    browser: Browser, db: Session, leader: Person, employee: Person
) -> None:
    team, _people = factories.team_of(db, 5)
    small, _few = factories.team_of(db, 3)
    first = (utcnow().date() + timedelta(days=2)).isoformat()
    body = {
        "title": "Team pulse",
        "cadence": "quarterly",
        "team_ids": [team.id],
        "open_days": 7,
        "first_opens_on": first,
    }
    created = browser.client.post("/api/v1/pulse/schedules", json=body, headers=token(db, leader))
    assert created.status_code == 201, created.text
    assert created.json()["next_opens_on"] == first and created.json()["cadence"] == "quarterly"
    few = browser.client.post(
        "/api/v1/pulse/schedules", json={**body, "team_ids": [small.id]}, headers=token(db, leader)
    )
    assert few.status_code == 422 and "at least 5 people" in few.text
    bad = browser.client.post(
        "/api/v1/pulse/schedules", json={**body, "cadence": "weekly"}, headers=token(db, leader)
    )
    assert bad.status_code == 422
    assert (
        browser.client.post("/api/v1/pulse/schedules", json=body, headers=token(db, employee)).status_code
        == 403
    )
    listed = browser.client.get("/api/v1/pulse/schedules", headers=token(db, leader)).json()
    assert [s["id"] for s in listed] == [created.json()["id"]]


def test_rounds_are_listed_by_status_and_closed_by_leaders(
    browser: Browser, db: Session, leader: Person
) -> None:
    team, people = factories.team_of(db, 5)
    _other, outsiders = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    member = token(db, people[0])
    open_ = browser.client.get("/api/v1/pulse/rounds?status=open", headers=member).json()["items"]
    assert [(r["id"], r["schedule_id"], r["status"], r["answered"]) for r in open_] == [
        (round_.id, None, "open", False)
    ]
    assert browser.client.get("/api/v1/pulse/rounds", headers=token(db, outsiders[0])).json()["items"] == []
    assert browser.client.post(f"/api/v1/pulse/rounds/{round_.id}/close", headers=member).status_code == 403
    closed = browser.client.post(f"/api/v1/pulse/rounds/{round_.id}/close", headers=token(db, leader))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert browser.client.get("/api/v1/pulse/rounds?status=open", headers=member).json()["items"] == []
    assert len(browser.client.get("/api/v1/pulse/rounds?status=closed", headers=member).json()["items"]) == 1


def test_actions_api_for_the_lead_members_and_nobody_else(
    browser: Browser, db: Session, leader: Person
) -> None:
    team, people = factories.team_of(db, 6, "Dock", "Operations")
    other, others = factories.team_of(db, 6)
    round_ = closed_round(db, leader, [team, other], people + others)
    factories.lead(db, team, people[0])
    path = f"/api/v1/pulse/rounds/{round_.id}/teams/{team.id}/actions"
    due = (utcnow().date() + timedelta(days=30)).isoformat()
    action = {"quality": "open_conversation", "title": "Say one thing that went wrong", "due_on": due}
    created = browser.client.post(path, json=action, headers=token(db, people[0]))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["quality"] == "open_conversation" and body["score_then"] == 3.0 and body["done"] is False
    wrong = browser.client.post(path, json={**action, "quality": "morale"}, headers=token(db, people[0]))
    assert wrong.status_code == 422 and "Willingness to help" in wrong.text
    assert browser.client.post(path, json=action, headers=token(db, people[1])).status_code == 403
    listed = browser.client.get(path, headers=token(db, people[3]))
    assert listed.status_code == 200 and [a["title"] for a in listed.json()["items"]] == [action["title"]]
    assert browser.client.get(path, headers=token(db, others[0])).status_code == 403
    done = browser.client.post(f"/api/v1/pulse/actions/{body['id']}/done", headers=token(db, leader))
    assert done.status_code == 200 and done.json()["done"] is True


def test_a_member_reads_their_team_on_the_results_page_and_the_team_page(
    browser: Browser, db: Session, leader: Person
) -> None:
    team, people = factories.team_of(db, 6, "Dock", "Operations")
    other, others = factories.team_of(db, 6, "Yard", "Outdoors")
    round_ = closed_round(db, leader, [team, other], people[:5] + others)
    browser.sign_in_as(people[5])
    page = browser.get(f"/pulse/{round_.id}/results").text
    assert "Dock" in page and "Operations" in page and "Yard" not in page and "Download (CSV)" not in page
    assert browser.get(f"/pulse/{round_.id}/results.csv").status_code == 403
    team_page = browser.get(f"/pulse/teams/{team.id}")
    assert (
        team_page.status_code == 200
        and "No actions yet" in team_page.text
        and "Add an action" not in team_page.text
    )
    assert browser.get(f"/pulse/teams/{other.id}").status_code == 403


def test_the_lead_adds_an_action_on_the_page_and_everyone_reads_the_plan(
    browser: Browser, db: Session, leader: Person, employee: Person
) -> None:
    team, people = factories.team_of(db, 6, "Dock", "Operations")
    other, others = factories.team_of(db, 6)
    round_ = closed_round(db, leader, [team, other], people + others)
    factories.lead(db, team, people[0])
    browser.sign_in_as(people[0])
    due = (utcnow().date() + timedelta(days=14)).isoformat()
    refused = browser.post(
        f"/pulse/teams/{team.id}/actions", {"round_id": round_.id, "title": "Retro", "due_on": due}
    )
    assert_refused_at_the_fields(refused, "Choose one of the four qualities")
    added = browser.post(
        f"/pulse/teams/{team.id}/actions",
        {
            "round_id": round_.id,
            "quality": "inclusivity",
            "title": "Rotate who chairs the stand-up",
            "due_on": due,
        },
        follow_redirects=True,
    )
    assert (
        added.status_code == 200
        and "Action added" in added.text
        and "Rotate who chairs the stand-up" in added.text
    )
    browser.sign_in_as(employee)
    plan = browser.get("/pulse/actions").text
    assert "Operations" in plan and "Rotate who chairs the stand-up" in plan and "Dock" not in plan
    browser.sign_in_as(leader)
    board = browser.get("/dashboard").text
    assert "Pulse actions" in board and "1 open · 0 done" in board


def test_a_leader_schedules_rounds_on_the_page(browser: Browser, db: Session, leader: Person) -> None:
    factories.team_of(db, 5)
    browser.sign_in_as(leader)
    assert browser.get("/pulse/schedules/new").status_code == 200
    first = utcnow().date() + timedelta(days=3)
    made = browser.post(
        "/pulse/schedules/new",
        {"title": "Team pulse", "cadence": "monthly", "open_days": "7", "first_opens_on": first.isoformat()},
        follow_redirects=True,
    )
    assert made.status_code == 200 and "Scheduled: the first round opens on" in made.text
    assert "Every month, 7 days open" in made.text
    bad = browser.post(
        "/pulse/schedules/new",
        {"title": "Team pulse", "cadence": "monthly", "open_days": "1", "first_opens_on": first.isoformat()},
    )
    assert_refused_at_the_fields(bad)
