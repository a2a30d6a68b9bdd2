"""Rules about people, teams and departments, tested without HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.errors import PermissionDenied, ValidationFailed
from app.people import service as people_service
from app.people.models import Person, Role
from app.people.schemas import PersonCreate, PersonUpdate
from tests import factories


def test_create_person_lowercases_email_and_derives_handle(db: Session, admin: Person) -> None:
    person = people_service.create(
        db, actor=admin, data=PersonCreate(email="Mia.Lopez@Example.TEST", name="Mia Lopez")
    )
    assert person.email == "mia.lopez@example.test"
    assert person.handle == "mia.lopez"
    assert person.role == Role.employee


def test_create_person_with_taken_handle_gets_a_number(db: Session, admin: Person) -> None:
    people_service.create(db, actor=admin, data=PersonCreate(email="sam@one.test", name="Sam One"))
    second = people_service.create(db, actor=admin, data=PersonCreate(email="sam@two.test", name="Sam Two"))
    assert second.handle == "sam2"


def test_create_person_as_non_admin_is_refused(db: Session, leader: Person) -> None:
    with pytest.raises(PermissionDenied):
        people_service.create(db, actor=leader, data=PersonCreate(email="x@y.test", name="X"))
    assert people_service.get_by_email(db, email="x@y.test") is None


def test_create_person_with_existing_email_is_refused(db: Session, admin: Person, employee: Person) -> None:
    with pytest.raises(ValidationFailed) as exc:
        people_service.create(db, actor=admin, data=PersonCreate(email="ERIN@example.test", name="Other"))
    assert "email" in exc.value.errors


@pytest.mark.parametrize("password", ["short", "password1234", "x" * 300])
def test_create_person_with_weak_or_huge_password_is_refused(
    db: Session, admin: Person, password: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        people_service.create(
            db, actor=admin, data=PersonCreate(email="p@w.test", name="P", password=password)
        )
    assert "password" in exc.value.errors


def test_create_person_stores_argon2id_hash_never_the_password(db: Session, admin: Person) -> None:
    person = people_service.create(
        db, actor=admin, data=PersonCreate(email="h@h.test", name="H", password="a long passphrase here")
    )
    assert person.password_hash is not None and person.password_hash.startswith("$argon2id$")
    assert "a long passphrase here" not in person.password_hash


def test_role_change_is_audited(db: Session, admin: Person, employee: Person) -> None:
    assert employee.id is not None
    people_service.update(
        db,
        actor=admin,
        person_id=employee.id,
        data=PersonUpdate(name=employee.name, handle=employee.handle, role=Role.cx, team_id=employee.team_id),
    )
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "person.role_change")).all()
    assert len(events) == 1
    assert events[0].actor_id == admin.id and events[0].entity_id == employee.id
    assert "employee → cx" in events[0].summary


def test_deactivating_a_person_ends_their_sessions(db: Session, admin: Person, employee: Person) -> None:
    opened = auth_service.open_session(db, person=employee)
    assert auth_service.person_for_session(db, token=opened.token) is not None
    assert employee.id is not None
    people_service.update(
        db,
        actor=admin,
        person_id=employee.id,
        data=factories.update_of(employee, is_active=False),
    )
    assert auth_service.person_for_session(db, token=opened.token) is None


def test_admin_cannot_remove_own_admin_role(db: Session, admin: Person) -> None:
    assert admin.id is not None
    with pytest.raises(ValidationFailed):
        people_service.update(
            db,
            actor=admin,
            person_id=admin.id,
            data=PersonUpdate(
                name=admin.name, handle=admin.handle, role=Role.employee, team_id=admin.team_id
            ),
        )
    db.refresh(admin)
    assert admin.role == Role.admin


def test_taken_handle_is_refused_on_update(db: Session, admin: Person, employee: Person, cx: Person) -> None:
    assert employee.id is not None
    with pytest.raises(ValidationFailed) as exc:
        people_service.update(
            db,
            actor=admin,
            person_id=employee.id,
            data=PersonUpdate(name=employee.name, handle=cx.handle.upper(), role=employee.role),
        )
    assert "handle" in exc.value.errors


def test_team_names_are_unique_and_need_a_department(db: Session, admin: Person) -> None:
    dept = people_service.create_department(db, actor=admin, name="Logistics")
    assert dept.id is not None
    people_service.create_team(db, actor=admin, name="Last Mile", department_id=dept.id)
    with pytest.raises(ValidationFailed) as exc:
        people_service.create_team(db, actor=admin, name="Last Mile", department_id=dept.id)
    assert "name" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        people_service.create_team(db, actor=admin, name="Ghost", department_id=999999)
    assert "department_id" in exc.value.errors


def test_department_names_are_unique(db: Session, admin: Person) -> None:
    people_service.create_department(db, actor=admin, name="Finance")
    with pytest.raises(ValidationFailed):
        people_service.create_department(db, actor=admin, name="Finance")


def test_get_or_create_team_refuses_a_team_of_another_department(db: Session) -> None:
    one = people_service.get_or_create_department(db, name="One")
    two = people_service.get_or_create_department(db, name="Two")
    people_service.get_or_create_team(db, name="Shared", department=one)
    with pytest.raises(ValidationFailed):
        people_service.get_or_create_team(db, name="Shared", department=two)


def test_list_people_search_treats_like_wildcards_literally(db: Session, admin: Person) -> None:
    factories.person(db, name="Percy 100% Real", email="percy@example.test")
    total, rows = people_service.list_people(db, query="100%")
    assert total == 1 and rows[0][0].name == "Percy 100% Real"
    total, _ = people_service.list_people(db, query="p%y")  # a wildcard would match "Percy"
    assert total == 0
