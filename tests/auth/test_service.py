"""Sign-in, sessions, throttling and tokens, tested without HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.auth.models import ApiToken, UserSession
from app.core.credentials import token_digest
from app.core.errors import NotFound, RateLimited, ValidationFailed
from app.core.models import utcnow
from app.people.models import Person, Role
from tests import factories


def test_sign_in_with_right_password_opens_a_session(db: Session, employee: Person) -> None:
    result = auth_service.sign_in(db, email="ERIN@example.test", password=factories.PASSWORD, ip="10.0.0.1")
    assert result.person.id == employee.id
    assert len(result.token) >= 43
    assert auth_service.person_for_session(db, token=result.token) == employee
    stored = db.exec(select(UserSession)).all()
    assert [s.token_hash for s in stored] == [token_digest(result.token)]  # only the digest is kept


def test_sign_in_gives_the_same_error_for_unknown_account_and_wrong_password(
    db: Session, employee: Person
) -> None:
    with pytest.raises(ValidationFailed) as unknown:
        auth_service.sign_in(db, email="nobody@example.test", password="whatever123", ip="10.0.0.2")
    with pytest.raises(ValidationFailed) as wrong:
        auth_service.sign_in(db, email=employee.email, password="wrong password", ip="10.0.0.2")
    assert unknown.value.errors == wrong.value.errors


def test_deactivated_person_cannot_sign_in(db: Session) -> None:
    person = factories.person(db, active=False)
    with pytest.raises(ValidationFailed):
        auth_service.sign_in(db, email=person.email, password=factories.PASSWORD, ip="10.0.0.3")


def test_sixth_attempt_on_one_account_is_throttled_even_with_the_right_password(
    db: Session, employee: Person
) -> None:
    for n in range(5):
        with pytest.raises(ValidationFailed):
            auth_service.sign_in(db, email=employee.email, password="wrong", ip=f"10.1.0.{n}")
    with pytest.raises(RateLimited) as exc:
        auth_service.sign_in(db, email=employee.email, password=factories.PASSWORD, ip="10.1.1.1")
    assert 0 < exc.value.retry_after <= 600


def test_seventh_attempt_from_one_address_within_a_minute_is_throttled(db: Session) -> None:
    for n in range(6):
        with pytest.raises(ValidationFailed):
            auth_service.sign_in(db, email=f"guess{n}@example.test", password="wrong", ip="10.2.0.1")
    with pytest.raises(RateLimited):
        auth_service.sign_in(db, email="another@example.test", password="wrong", ip="10.2.0.1")
    # Another address is not affected.
    with pytest.raises(ValidationFailed):
        auth_service.sign_in(db, email="another@example.test", password="wrong", ip="10.2.0.2")


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen_at", timedelta(hours=9)), ("created_at", timedelta(days=8))],
    ids=["idle for 9 hours", "past the absolute lifetime while active"],
)
def test_an_expired_session_signs_nobody_in_and_is_deleted(
    db: Session, employee: Person, column: str, age: timedelta
) -> None:
    opened = auth_service.open_session(db, person=employee)
    row = db.exec(select(UserSession)).one()
    setattr(row, column, utcnow() - age)
    db.add(row)
    db.commit()
    assert auth_service.person_for_session(db, token=opened.token) is None
    assert db.exec(select(UserSession)).all() == []


def test_sign_out_deletes_the_server_session(db: Session, employee: Person) -> None:
    opened = auth_service.open_session(db, person=employee)
    auth_service.sign_out(db, token=opened.token)
    assert auth_service.person_for_session(db, token=opened.token) is None


def test_token_is_stored_hashed_and_stops_working_when_revoked(db: Session, employee: Person) -> None:
    created = auth_service.create_token(db, actor=employee, owner=employee, name="script")
    assert auth_service.person_for_token(db, token=created.token) == employee
    stored = db.exec(select(ApiToken)).one()
    assert stored.token_hash == token_digest(created.token) and created.token not in stored.token_hash
    assert created.record.id is not None
    auth_service.revoke_token(db, actor=employee, token_id=created.record.id)
    assert auth_service.person_for_token(db, token=created.token) is None


def test_earlier_tokens_stay_valid_when_a_new_one_is_made(db: Session, employee: Person) -> None:
    first = auth_service.create_token(db, actor=employee, owner=employee)
    second = auth_service.create_token(db, actor=employee, owner=employee)
    assert auth_service.person_for_token(db, token=first.token) == employee
    assert auth_service.person_for_token(db, token=second.token) == employee


def test_revoking_someone_elses_token_answers_not_found(db: Session, employee: Person, cx: Person) -> None:
    created = auth_service.create_token(db, actor=cx, owner=cx)
    assert created.record.id is not None
    with pytest.raises(NotFound):
        auth_service.revoke_token(db, actor=employee, token_id=created.record.id)
    assert auth_service.person_for_token(db, token=created.token) == cx


def test_token_of_deactivated_person_stops_working(db: Session, employee: Person) -> None:
    created = auth_service.create_token(db, actor=employee, owner=employee)
    employee.is_active = False
    db.add(employee)
    db.commit()
    assert auth_service.person_for_token(db, token=created.token) is None


def test_unknown_person_from_proxy_header_becomes_an_employee(db: Session) -> None:
    person = auth_service.person_from_proxy_header(db, email="New.Hire@Corp.Local", name="New Hire")
    assert person is not None
    assert (person.email, person.name, person.role, person.handle) == (
        "new.hire@corp.local",
        "New Hire",
        Role.employee,
        "new.hire",
    )
    again = auth_service.person_from_proxy_header(db, email="new.hire@corp.local", name=None)
    assert again is not None and again.id == person.id
