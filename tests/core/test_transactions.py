"""One transaction across services (core.db.one_transaction): a flow's steps land together or not
at all, and a service called on its own still commits at once."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.auth.models import UserSession
from app.core.db import one_transaction
from app.flows import accounts
from app.people import service as people_service
from app.people.models import Person, PersonCreate
from tests import factories


def _new_person(db: Session, admin: Person, email: str) -> Person:
    return people_service.create(db, actor=admin, data=PersonCreate(email=email, name="Nova New"))


def test_a_service_alone_commits_at_once(db: Session, admin: Person) -> None:
    _new_person(db, admin, "nova@example.test")
    db.rollback()  # nothing pending is lost: the service committed
    assert people_service.get_by_email(db, email="nova@example.test") is not None


def test_inside_one_transaction_nothing_lands_when_a_later_step_fails(db: Session, admin: Person) -> None:
    with pytest.raises(RuntimeError), one_transaction(db):
        _new_person(db, admin, "first@example.test")
        _new_person(db, admin, "second@example.test")
        raise RuntimeError("the third step fails")
    db.rollback()
    assert people_service.get_by_email(db, email="first@example.test") is None
    assert people_service.get_by_email(db, email="second@example.test") is None


def test_one_transaction_commits_every_step_together_at_its_end(db: Session, admin: Person) -> None:
    with one_transaction(db):
        _new_person(db, admin, "first@example.test")
        with one_transaction(db):  # nested: the outer block commits
            _new_person(db, admin, "second@example.test")
    db.rollback()
    assert people_service.get_by_email(db, email="first@example.test") is not None
    assert people_service.get_by_email(db, email="second@example.test") is not None


def test_deactivating_someone_ends_their_sessions_in_the_same_transaction(
    db: Session, admin: Person, employee: Person
) -> None:
    auth_service.open_session(db, person=employee)
    data = factories.update_of(employee, is_active=False)
    accounts.update_person(db, actor=admin, person_id=employee.id or 0, data=data)
    db.rollback()
    assert not people_service.get(db, person_id=employee.id or 0).is_active
    assert db.exec(select(UserSession).where(UserSession.person_id == employee.id)).all() == []
