"""API tokens expire, carry a scope, are capped per person, and stay revoked after a person is
deactivated and reactivated (issue 21)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import TokenScope
from app.core.config import get_settings
from app.core.errors import ValidationFailed
from app.core.models import aware, utcnow
from app.flows import accounts
from app.people.models import Person
from app.people.schemas import PersonUpdate
from tests import factories
from tests.browser import Browser, bearer


def test_a_new_token_expires_after_the_default_or_the_chosen_days(db: Session, employee: Person) -> None:
    default = auth_service.create_token(db, actor=employee, owner=employee).record
    chosen = auth_service.create_token(db, actor=employee, owner=employee, days=7).record
    assert default.expires_at is not None and chosen.expires_at is not None
    assert abs(
        aware(default.expires_at) - utcnow() - timedelta(days=get_settings().api_token_days)
    ) < timedelta(minutes=1)
    assert abs(aware(chosen.expires_at) - utcnow() - timedelta(days=7)) < timedelta(minutes=1)
    with pytest.raises(ValidationFailed) as refused:
        auth_service.create_token(db, actor=employee, owner=employee, days=400)
    assert "between 1 and 365 days" in refused.value.errors["days"]


def test_an_expired_token_signs_nobody_in(browser: Browser, db: Session, employee: Person) -> None:
    created = auth_service.create_token(db, actor=employee, owner=employee, days=1)
    assert browser.client.get("/api/v1/me", headers=bearer(created.token)).status_code == 200
    created.record.expires_at = utcnow() - timedelta(seconds=1)
    db.add(created.record)
    db.commit()
    assert auth_service.person_for_token(db, token=created.token) is None
    assert browser.client.get("/api/v1/me", headers=bearer(created.token)).status_code == 401
    page = browser.sign_in_as(employee).get("/me")
    assert "expired" in page.text


def test_a_read_token_reads_and_is_refused_every_change(
    browser: Browser, db: Session, employee: Person
) -> None:
    token = auth_service.create_token(db, actor=employee, owner=employee, scope=TokenScope.read).token
    assert browser.client.get("/api/v1/proposals", headers=bearer(token)).status_code == 200
    refused = browser.client.post(
        "/api/v1/proposals", headers=bearer(token), json={"title": "Read only", "problem": "p", "change": "c"}
    )
    assert refused.status_code == 403 and "may only read" in refused.json()["detail"]
    writer = auth_service.create_token(db, actor=employee, owner=employee, scope=TokenScope.write).token
    made = browser.client.post(
        "/api/v1/proposals",
        headers=bearer(writer),
        json={"title": "Read write", "problem": "p", "change": "c"},
    )
    assert made.status_code == 201


def test_administration_needs_the_admin_scope_and_the_admin_role(
    browser: Browser, db: Session, admin: Person
) -> None:
    write = auth_service.create_token(db, actor=admin, owner=admin, scope=TokenScope.write).token
    full = auth_service.create_token(db, actor=admin, owner=admin, scope=TokenScope.admin).token
    assert browser.client.get("/admin/people", headers=bearer(write)).status_code == 403
    assert browser.client.get("/admin/people", headers=bearer(full)).status_code == 200
    # The scope never adds to the role: an employee's admin-scoped token is still an employee's.
    employee = factories.person(db)
    theirs = auth_service.create_token(db, actor=employee, owner=employee, scope=TokenScope.admin).token
    assert browser.client.get("/admin/people", headers=bearer(theirs)).status_code == 403


def test_one_person_holds_at_most_the_cap_of_active_tokens(
    db: Session, employee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_API_TOKENS_PER_PERSON", "3")
    get_settings.cache_clear()
    made = [auth_service.create_token(db, actor=employee, owner=employee) for _ in range(3)]
    with pytest.raises(ValidationFailed) as refused:
        auth_service.create_token(db, actor=employee, owner=employee)
    assert "3 active tokens" in refused.value.errors["name"]
    assert made[0].record.id is not None
    auth_service.revoke_token(db, actor=employee, token_id=made[0].record.id)
    auth_service.create_token(db, actor=employee, owner=employee)  # room again


def test_the_page_creates_a_scoped_token_and_refuses_past_the_cap(
    browser: Browser, db: Session, employee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_API_TOKENS_PER_PERSON", "1")
    get_settings.cache_clear()
    browser.sign_in_as(employee)
    made = browser.post("/me/tokens", data={"name": "reader", "scope": "read", "days": "30"})
    assert made.status_code == 200 and "Copy your new token now" in made.text
    assert auth_service.list_tokens(db, owner=employee)[0].scope == TokenScope.read
    again = browser.post("/me/tokens", data={"name": "second", "scope": "write", "days": "30"})
    assert again.status_code == 422 and "1 active tokens" in again.text
    assert len(auth_service.list_tokens(db, owner=employee)) == 1


def test_a_deactivated_persons_tokens_stay_revoked_after_reactivation(
    browser: Browser, db: Session, admin: Person
) -> None:
    person = factories.person(db)
    assert person.id is not None
    token = auth_service.create_token(db, actor=person, owner=person).token
    fields = {"name": person.name, "handle": person.handle, "role": person.role, "team_id": person.team_id}
    accounts.update_person(db, actor=admin, person_id=person.id, data=PersonUpdate(**fields, is_active=False))
    accounts.update_person(db, actor=admin, person_id=person.id, data=PersonUpdate(**fields, is_active=True))
    assert auth_service.person_for_token(db, token=token) is None
    assert browser.client.get("/api/v1/me", headers=bearer(token)).status_code == 401
