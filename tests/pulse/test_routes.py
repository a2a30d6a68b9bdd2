"""Pulse pages and API: the design's shapes, suppression everywhere (T3), nothing logged (T2)."""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.models import utcnow
from app.people.models import Person
from app.pulse import service as pulse_service
from app.pulse.models import PulseRound
from app.pulse.schemas import AnswersIn
from tests import factories
from tests.browser import Browser, bearer


def token(db: Session, person: Person) -> dict[str, str]:
    return bearer(auth_service.create_token(db, actor=person, owner=person).token)


def answer_all(
    db: Session, round_: PulseRound, people: list[Person], value: int = 4, comment: str = ""
) -> None:
    item_ids = [i.id or 0 for i in pulse_service.items(db, round_id=round_.id or 0)]
    for person in people:
        pulse_service.answer(
            db,
            actor=person,
            round_id=round_.id or 0,
            data=AnswersIn(answers=dict.fromkeys(item_ids, value), comment=comment),
        )


def test_api_round_trip_has_the_design_shape(browser: Browser, db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 5, "Night Crew")
    closes = (utcnow().date() + timedelta(days=7)).isoformat()
    created = browser.client.post(
        "/api/v1/pulse/rounds",
        json={"title": "December pulse", "closes_on": closes, "team_ids": [team.id]},
        headers=token(db, leader),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "open" and body["min_group"] == 5 and body["text_min_group"] == 10
    assert len(body["items"]) == 8 and {i["domain"] for i in body["items"]} == {
        "risk",
        "conversation",
        "help",
        "inclusion",
    }
    round_id = body["id"]
    member = token(db, people[0])
    assert (
        browser.client.get(f"/api/v1/pulse/rounds/{round_id}", headers=member).json()["items"]
        == body["items"]
    )
    answers = {str(i["id"]): 3 for i in body["items"]}
    first = browser.client.post(
        f"/api/v1/pulse/rounds/{round_id}/answers", json={"answers": answers}, headers=member
    )
    assert first.status_code == 201 and first.json() == {"status": "recorded"}
    again = browser.client.post(
        f"/api/v1/pulse/rounds/{round_id}/answers", json={"answers": answers}, headers=member
    )
    assert again.status_code == 409 and "3" not in again.json()["detail"]
    bad = browser.client.post(
        f"/api/v1/pulse/rounds/{round_id}/answers", json={"answers": {"1": 9}}, headers=token(db, people[1])
    )
    assert bad.status_code == 422
    member_while_open = browser.client.get(f"/api/v1/pulse/rounds/{round_id}/results", headers=member)
    assert member_while_open.status_code == 200 and member_while_open.json()["groups"] == []
    while_open = browser.client.get(
        f"/api/v1/pulse/rounds/{round_id}/results", headers=token(db, leader)
    ).json()
    assert while_open["released"] is False and while_open["groups"] == []
    assert (
        browser.client.post(
            "/api/v1/pulse/rounds", json={"title": "x", "closes_on": closes}, headers=member
        ).status_code
        == 403
    )


def test_a_team_of_four_is_suppressed_in_html_json_and_csv(
    browser: Browser, db: Session, leader: Person
) -> None:
    small, four = factories.team_of(db, 4, "Four Corners", "Dept Small")
    big, five = factories.team_of(db, 5, "High Five", "Dept Big")
    round_ = factories.opened_pulse(db, by=leader, teams=[small, big], title="Pulse", days=3)
    answer_all(db, round_, four, value=2)
    answer_all(db, round_, five, value=5)
    pulse_service.close(db, actor=leader, round_id=round_.id or 0)
    browser.sign_in_as(leader)
    page = browser.get(f"/pulse/{round_.id}/results").text
    assert "Four Corners" in page and "Fewer than 5 people were asked here" in page
    groups = {
        g["name"]: g
        for g in browser.client.get(
            f"/api/v1/pulse/rounds/{round_.id}/results", headers=token(db, leader)
        ).json()["groups"]
    }
    assert groups["Four Corners"]["suppressed"] is True and groups["Four Corners"]["domains"] is None
    # Company 9 minus the 5 would give the 4 away, so the 5 is hidden too and says why.
    assert groups["High Five"]["suppressed"] is True and "worked out" in groups["High Five"]["reason"]
    assert groups["Whole company"]["suppressed"] is False
    rows = list(csv.reader(io.StringIO(browser.get(f"/pulse/{round_.id}/results.csv").text)))
    assert [
        "Four Corners",
        "team",
        "suppressed",
        "true",
        "Fewer than 5 people were asked here, so their answers count only in the group above.",
    ] in rows
    assert not [
        r for r in rows if r[0] == "Four Corners" and r[2] in ("risk", "conversation", "help", "inclusion")
    ]
    exported = db.exec(select(AuditEvent).where(AuditEvent.action == "pulse.export")).all()
    assert len(exported) == 1 and exported[0].actor_id == leader.id


def test_answers_never_reach_logs_or_the_audit_trail(
    browser: Browser, db: Session, leader: Person, caplog: pytest.LogCaptureFixture
) -> None:
    team, people = factories.team_of(db, 5, "Marker Team")
    round_ = factories.opened_pulse(db, by=leader, teams=[team], title="Pulse", days=3, free_text=True)
    marker = "MARKER-7f3c-answer"
    submitter = people[0]
    caplog.set_level(logging.DEBUG)
    browser.sign_in_as(submitter)
    form = {f"item-{i.id}": "2" for i in pulse_service.items(db, round_id=round_.id or 0)}
    response = browser.post(f"/pulse/{round_.id}/answers", {**form, "comment": marker})
    assert response.status_code == 303
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert marker not in logged and f"'actor_id': {submitter.id}" not in logged
    audit = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "pulse_round")).all()
    assert [e.action for e in audit] == ["pulse.open"]
    assert all(marker not in str(e.details) and e.actor_id != submitter.id for e in audit)
    # The page then says it was answered, and shows nothing of what.
    page = browser.get(f"/pulse/{round_.id}").text
    assert "You have answered this round" in page and marker not in page


def test_home_page_invites_and_the_form_answers(browser: Browser, db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 5, "Invitees")
    round_ = factories.opened_pulse(db, by=leader, teams=[team], title="Winter pulse", days=3)
    browser.sign_in_as(people[0])
    home = browser.get("/").text
    assert "Winter pulse" in home and f'href="/pulse/{round_.id}"' in home
    page = browser.get(f"/pulse/{round_.id}")
    assert (
        "Why nobody can tell what you answered" in page.text and page.headers["cache-control"] == "no-store"
    )
    assert '"historyCacheSize":0' in page.text
    missing = browser.post(f"/pulse/{round_.id}/answers", {})
    assert missing.status_code == 422 and "Answer every statement" in missing.text
    form = {f"item-{i.id}": "4" for i in pulse_service.items(db, round_id=round_.id or 0)}
    assert browser.post(f"/pulse/{round_.id}/answers", form).status_code == 303
    assert "Winter pulse" not in browser.get("/").text  # answered: no longer asked


def test_leaders_open_a_round_from_the_form(browser: Browser, db: Session, leader: Person) -> None:
    team, _ = factories.team_of(db, 5, "Form Team")
    browser.sign_in_as(leader)
    closes = (utcnow().date() + timedelta(days=10)).isoformat()
    refused = browser.post("/pulse/new", {"title": "P", "closes_on": closes, "team_ids": str(team.id)})
    assert refused.status_code == 422
    opened = browser.post(
        "/pulse/new", {"title": "Spring pulse", "closes_on": closes, "team_ids": str(team.id)}
    )
    assert opened.status_code == 303
    assert "Spring pulse" in browser.get("/pulse").text


def test_dashboard_shows_pulse_per_department_for_leaders(
    browser: Browser, db: Session, leader: Person
) -> None:
    team, people = factories.team_of(db, 5, "Dash Team", "Dash Department")
    round_ = factories.opened_pulse(db, by=leader, teams=[team], title="Pulse", days=3)
    answer_all(db, round_, people, value=3)
    pulse_service.close(db, actor=leader, round_id=round_.id or 0)
    page = browser.sign_in_as(leader).get("/dashboard").text
    assert "Safe to speak up (pulse)" in page and "3.0 / 5" in page
