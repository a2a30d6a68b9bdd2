"""An admin moves people between teams from the people list: the rule on the service, the page with
its team filter, and the refusals that move nobody."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.errors import PermissionDenied, ValidationFailed
from app.people import service as people_service
from app.people.models import Person, Team
from tests import factories
from tests.browser import Browser


@pytest.fixture
def care(db: Session) -> Team:
    department = people_service.get_or_create_department(db, name="Customer Care")
    created = people_service.get_or_create_team(db, name="Care Desk", department=department)
    db.commit()
    return created


def test_an_admin_moves_people_into_a_team_in_one_audited_change(
    db: Session, admin: Person, employee: Person, cx: Person, care: Team
) -> None:
    team, moved = people_service.move_people(
        db, actor=admin, person_ids=[employee.id or 0, cx.id or 0], team_id=care.id or 0
    )
    assert team.id == care.id and moved == 2
    db.expire_all()
    assert {p.team_id for p in db.exec(select(Person).where(Person.id.in_([employee.id, cx.id]))).all()} == {  # type: ignore[union-attr]
        care.id
    }
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "people.move")).one()
    assert event.summary.startswith("2 to Care Desk") and event.details["person_ids"] == sorted(
        [employee.id, cx.id]
    )
    _, again = people_service.move_people(
        db, actor=admin, person_ids=[employee.id or 0], team_id=care.id or 0
    )
    assert again == 0


def test_a_move_is_refused_whole_for_a_non_admin_an_unknown_team_or_person(
    db: Session, admin: Person, leader: Person, employee: Person, care: Team
) -> None:
    before = employee.team_id
    with pytest.raises(PermissionDenied):
        people_service.move_people(db, actor=leader, person_ids=[employee.id or 0], team_id=care.id or 0)
    with pytest.raises(ValidationFailed, match="existing team"):
        people_service.move_people(db, actor=admin, person_ids=[employee.id or 0], team_id=999_999)
    with pytest.raises(ValidationFailed, match="no longer exist"):
        people_service.move_people(
            db, actor=admin, person_ids=[employee.id or 0, 999_999], team_id=care.id or 0
        )
    with pytest.raises(ValidationFailed, match="Tick the people"):
        people_service.move_people(db, actor=admin, person_ids=[], team_id=care.id or 0)
    db.expire_all()
    assert db.get(Person, employee.id).team_id == before  # type: ignore[union-attr]


def test_the_people_page_filters_by_team_and_moves_the_ticked_people(
    browser: Browser, db: Session, admin: Person, care: Team
) -> None:
    newcomer = factories.person(db, name="Nia Newcomer")
    newcomer.team_id = None
    db.add(newcomer)
    db.commit()
    browser.sign_in_as(admin)
    waiting = browser.get("/admin/people", params={"team": "none"})
    assert waiting.status_code == 200 and "Nia Newcomer" in waiting.text
    assert f'href="/admin/people/{admin.id}"' not in waiting.text  # the admin is in a team
    assert 'aria-label="Move Nia Newcomer"' in waiting.text
    moved = browser.post(
        "/admin/people/move", {"person_ids": [str(newcomer.id)], "team_id": str(care.id), "team": "none"}
    )
    assert moved.status_code == 303 and moved.headers["location"] == "/admin/people?q=&team=none"
    db.expire_all()
    assert db.get(Person, newcomer.id).team_id == care.id  # type: ignore[union-attr]
    in_care = browser.get("/admin/people", params={"team": str(care.id)})
    assert "Nia Newcomer" in in_care.text
    assert "Everyone is in a team" in browser.get("/admin/people", params={"team": "none"}).text


def test_a_move_with_nobody_ticked_says_so_and_moves_nobody(
    browser: Browser, db: Session, admin: Person, employee: Person, care: Team
) -> None:
    browser.sign_in_as(admin)
    refused = browser.post("/admin/people/move", {"team_id": str(care.id)})
    assert refused.status_code == 422 and "Tick the people to move first." in refused.text
    assert 'aria-invalid="true"' in refused.text
    no_csrf = browser.post(
        "/admin/people/move", {"person_ids": [str(employee.id)], "team_id": str(care.id)}, csrf=False
    )
    assert no_csrf.status_code == 403
    browser.sign_in_as(employee)
    assert (
        browser.post(
            "/admin/people/move", {"person_ids": [str(employee.id)], "team_id": str(care.id)}
        ).status_code
        == 403
    )
    db.expire_all()
    assert db.get(Person, employee.id).team_id != care.id  # type: ignore[union-attr]
