"""Admin pages for people and teams, over HTTP."""

from __future__ import annotations

from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.people import service as people_service
from app.people.models import Person, Role
from tests import factories
from tests.browser import Browser, assert_refused_at_the_fields


def test_admin_adds_a_person_who_can_then_sign_in(browser: Browser, admin: Person, db: Session) -> None:
    team = factories.team(db, name="Last Mile")
    response = browser.sign_in_as(admin).post(
        "/admin/people/new",
        {
            "email": "new.colleague@example.test",
            "name": "New Colleague",
            "role": "cx",
            "team_id": str(team.id),
            "password": "first passphrase 2026",
        },
    )
    assert response.status_code == 303
    page = browser.get(response.headers["location"])
    assert "New Colleague was added" in page.text
    person = people_service.get_by_email(db, email="new.colleague@example.test")
    assert person is not None and person.role == Role.cx and person.team_id == team.id
    signed_in = browser.anonymous().post(
        "/login", {"email": "new.colleague@example.test", "password": "first passphrase 2026"}
    )
    assert signed_in.status_code == 303


def test_add_person_with_bad_input_shows_errors_and_saves_nothing(
    browser: Browser, admin: Person, db: Session
) -> None:
    bad = {"email": "not-an-email", "name": "", "role": "employee"}
    response = browser.sign_in_as(admin).post("/admin/people/new", bad)
    assert_refused_at_the_fields(response, "Please correct the marked fields.")
    assert people_service.count_people(db) == 1


def test_add_person_with_weak_password_is_refused(browser: Browser, admin: Person, db: Session) -> None:
    response = browser.sign_in_as(admin).post(
        "/admin/people/new", {"email": "w@example.test", "name": "W", "password": "short"}
    )
    assert response.status_code == 422 and "at least 10 characters" in response.text
    assert people_service.get_by_email(db, email="w@example.test") is None


def test_employee_gets_403_on_admin_pages(browser: Browser, employee: Person) -> None:
    browser.sign_in_as(employee)
    page = browser.get("/admin/people")
    assert page.status_code == 403
    assert "Not for your role" in page.text
    assert 'href="/admin/people"' not in page.text  # the navigation hides what the role cannot reach


def test_admin_sees_admin_navigation(browser: Browser, admin: Person) -> None:
    page = browser.sign_in_as(admin).get("/")
    assert 'href="/admin/people"' in page.text


def test_deactivating_someone_signs_them_out(browser: Browser, admin: Person, employee: Person) -> None:
    browser.sign_in_as(employee)
    assert browser.get("/me").status_code == 200
    employee_cookies = dict(browser.client.cookies)
    response = browser.sign_in_as(admin).post(
        f"/admin/people/{employee.id}",
        {
            "name": employee.name,
            "handle": employee.handle,
            "role": "employee",
            "team_id": str(employee.team_id),
        },
    )  # no is_active box: deactivated
    assert response.status_code == 303
    browser.client.cookies.clear()
    for name, value in employee_cookies.items():
        browser.client.cookies.set(name, value)
    assert browser.get("/me").status_code == 303


def test_role_change_through_the_form_is_audited_and_shown_in_the_audit_log(
    browser: Browser, admin: Person, employee: Person, db: Session
) -> None:
    browser.sign_in_as(admin)
    browser.post(
        f"/admin/people/{employee.id}",
        {
            "name": employee.name,
            "handle": employee.handle,
            "role": "leader",
            "is_active": "1",
            "team_id": str(employee.team_id),
        },
    )
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "person.role_change")).first() is not None
    log = browser.get("/admin/audit?action=person.role_change")
    assert "employee → leader" in log.text


def test_admin_creates_department_and_team(browser: Browser, admin: Person, db: Session) -> None:
    browser.sign_in_as(admin)
    assert browser.post("/admin/departments", {"name": "Billing"}).status_code == 303
    dept = next(d for d in people_service.list_departments(db) if d.name == "Billing")
    assert (
        browser.post("/admin/teams", {"name": "Invoices", "department_id": str(dept.id)}).status_code == 303
    )
    page = browser.get("/admin/teams")
    assert "Billing" in page.text and "Invoices" in page.text
    duplicate = browser.post("/admin/teams", {"name": "Invoices", "department_id": str(dept.id)})
    assert duplicate.status_code == 422 and "already exists" in duplicate.text


def test_people_search_filters_as_a_fragment(browser: Browser, admin: Person, db: Session) -> None:
    factories.person(db, name="Zelda Quartz")
    browser.sign_in_as(admin)
    fragment = browser.get("/admin/people?q=quartz", headers={"HX-Request": "true"})
    assert (
        "Zelda Quartz" in fragment.text and admin.name not in fragment.text and "<html" not in fragment.text
    )
    empty = browser.get("/admin/people?q=nobody-like-this")
    assert "Nobody matches" in empty.text


def test_names_with_markup_are_shown_as_text(browser: Browser, admin: Person, db: Session) -> None:
    factories.person(db, name='<script>alert(1)</script>"><img src=x onerror=alert(1)>')
    page = browser.sign_in_as(admin).get("/admin/people")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text


def test_template_engine_escapes_everything() -> None:
    from app.core.templating import templates

    assert templates.env.autoescape is True


def test_a_bad_email_or_handle_is_explained_in_words(browser: Browser, admin: Person) -> None:
    page = browser.sign_in_as(admin).post("/admin/people/new", {"email": "ann.corp.local", "name": "Ann"})
    assert_refused_at_the_fields(page, "Enter a work e-mail address, such as ann@corp.local.")
    assert "pattern" not in page.text
    edit = browser.post(
        f"/admin/people/{admin.id}", {"name": admin.name, "handle": "ada admin", "role": "admin"}
    )
    assert_refused_at_the_fields(edit, "Use letters, digits, dot, dash and underscore only.")
