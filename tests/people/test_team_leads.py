"""A team's lead, named by an admin: on the service, the API and the admin page; and the team and
department ids in GET /api/v1/me."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.errors import PermissionDenied, ValidationFailed
from app.people import service as people_service
from app.people.models import Person, Team
from tests import factories
from tests.browser import Browser, bearer


@pytest.fixture
def team(db: Session) -> Team:
    department = people_service.get_or_create_department(db, name="Logistics")
    created = people_service.get_or_create_team(db, name="Night Dispatch", department=department)
    db.commit()  # there before the test: a refused change rolls back only its own work
    return created


def test_an_admin_names_a_lead_and_takes_them_off(
    db: Session, admin: Person, leader: Person, team: Team
) -> None:
    named = people_service.set_team_lead(
        db, actor=admin, team_id=team.id or 0, lead_email=leader.email.upper()
    )
    assert named.lead_id == leader.id
    assert people_service.team_read(db, named).lead_email == leader.email
    assert people_service.leads(db) == {team.id: leader}
    cleared = people_service.set_team_lead(db, actor=admin, team_id=team.id or 0, lead_email=None)
    assert cleared.lead_id is None and people_service.leads(db) == {}
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "team.lead")).all()
    assert [a.summary for a in audit] == [f"Night Dispatch: lead {leader.name}", "Night Dispatch: lead none"]


def test_only_admins_name_leads_and_only_active_people_lead(
    db: Session, admin: Person, employee: Person, team: Team
) -> None:
    with pytest.raises(PermissionDenied):
        people_service.set_team_lead(db, actor=employee, team_id=team.id or 0, lead_email=employee.email)
    gone = factories.person(db, email="gone@example.test")
    gone.is_active = False
    db.add(gone)
    db.commit()
    for email in ("nobody@example.test", gone.email):
        with pytest.raises(ValidationFailed):
            people_service.set_team_lead(db, actor=admin, team_id=team.id or 0, lead_email=email)
    assert db.get(Team, team.id).lead_id is None  # type: ignore[union-attr]


def test_the_api_names_a_lead_and_me_says_team_and_department_ids(
    browser: Browser, db: Session, admin: Person, leader: Person, team: Team
) -> None:
    token = auth_service.create_token(db, actor=admin, owner=admin).token
    answer = browser.client.patch(
        f"/api/v1/teams/{team.id}", json={"lead_email": leader.email}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": team.id,
        "name": "Night Dispatch",
        "department_id": team.department_id,
        "department": "Logistics",
        "lead_email": leader.email,
        "members": 0,
    }
    unknown = browser.client.patch(
        f"/api/v1/teams/{team.id}", json={"lead_email": "x@y.z"}, headers=bearer(token)
    )
    assert unknown.status_code == 422
    leader.team_id = team.id
    db.add(leader)
    db.commit()
    mine = auth_service.create_token(db, actor=leader, owner=leader).token
    me = browser.client.get("/api/v1/me", headers=bearer(mine)).json()
    assert me["team_id"] == team.id and me["department_id"] == team.department_id
    refused = browser.client.patch(
        f"/api/v1/teams/{team.id}", json={"lead_email": None}, headers=bearer(mine)
    )
    assert refused.status_code == 403


def test_the_teams_page_shows_and_saves_the_lead(
    browser: Browser, admin: Person, leader: Person, team: Team
) -> None:
    browser.sign_in_as(admin)
    saved = browser.post(f"/admin/teams/{team.id}/lead", {"lead_email": leader.email})
    assert saved.status_code == 303
    page = browser.get("/admin/teams")
    assert f'value="{leader.email}"' in page.text and leader.name in page.text
    assert 'Logistics <span class="muted small">· 1 team · 0 people</span>' in page.text
    refused = browser.post(f"/admin/teams/{team.id}/lead", {"lead_email": "nobody@example.test"})
    assert (
        refused.status_code == 422 and "Nobody active in the portal has this e-mail address." in refused.text
    )
