"""Sign-in pages, sessions, CSRF, security headers and API tokens over HTTP."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from app.auth.models import UserSession
from app.core.config import get_settings
from app.people.models import Person
from tests import factories
from tests.browser import Browser, bearer


def _login(browser: Browser, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return browser.post("/login", {"email": email, "password": password, "next": "/", **extra})


def test_login_page_has_email_password_and_csrf_fields(browser: Browser) -> None:
    page = browser.anonymous().get("/login")
    assert page.status_code == 200
    for name in ("email", "password", "csrf_token"):
        assert f'name="{name}"' in page.text


def test_signed_in_pages_redirect_anonymous_people_to_login(browser: Browser) -> None:
    response = browser.anonymous().get("/me")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/me"


def test_htmx_request_without_session_gets_hx_redirect_not_a_login_fragment(browser: Browser) -> None:
    response = browser.anonymous().get("/admin/people", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login")
    assert "<form" not in response.text


def test_login_sets_a_fresh_httponly_session_cookie(browser: Browser, employee: Person) -> None:
    browser.anonymous()
    response = _login(browser, employee.email, factories.PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("il_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert browser.get("/").status_code == 200


def test_session_cookie_is_host_prefixed_and_secure_when_required(
    browser: Browser, employee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_COOKIE_SECURE", "always")
    get_settings.cache_clear()
    response = _login(browser.anonymous(), employee.email, factories.PASSWORD)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-il_session=")
    assert "Secure" in cookie and "Domain" not in cookie and "Path=/" in cookie


def test_wrong_password_and_unknown_account_look_the_same(browser: Browser, employee: Person) -> None:
    browser.anonymous()
    unknown = _login(browser, "nobody@example.test", "whatever-password")
    wrong = _login(browser, employee.email, "wrong-password")
    assert unknown.status_code == wrong.status_code == 422
    message = "That e-mail and password do not match an active account."
    assert message in unknown.text and message in wrong.text
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731  the typed e-mail is echoed back
    assert strip(unknown.text) == strip(wrong.text)


def test_too_many_failed_logins_get_429_with_retry_after(browser: Browser, employee: Person) -> None:
    browser.anonymous()
    for _ in range(5):
        assert _login(browser, employee.email, "wrong-password").status_code == 422
    throttled = _login(browser, employee.email, factories.PASSWORD)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in throttled.text


def test_spoofed_forwarded_for_from_untrusted_peer_does_not_dodge_the_ip_limit(browser: Browser) -> None:
    # The test client's peer ("testclient") is not a trusted proxy, so X-Forwarded-For is ignored.
    browser.anonymous()
    statuses = [
        browser.post(
            "/login",
            {"email": f"user{n}@example.test", "password": "x" * 12},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(7)
    ]
    assert statuses[:6] == [422] * 6 and statuses[6] == 429


def test_login_without_csrf_token_is_refused(browser: Browser, employee: Person, db: Session) -> None:
    response = browser.anonymous().post(
        "/login", {"email": employee.email, "password": factories.PASSWORD}, csrf=False
    )
    assert response.status_code == 403
    assert db.exec(select(UserSession)).all() == []


def test_post_from_another_origin_is_refused(browser: Browser, admin: Person, db: Session) -> None:
    browser.sign_in_as(admin)
    response = browser.post(
        "/admin/departments", {"name": "Evil Corp"}, headers={"Origin": "http://127.0.0.2:9999"}
    )
    assert response.status_code == 403
    response = browser.post(
        "/admin/departments", {"name": "Evil Corp"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert "Evil Corp" not in browser.get("/admin/teams").text


def test_csrf_token_of_another_session_is_refused(browser: Browser, admin: Person, employee: Person) -> None:
    other_token = browser.sign_in_as(employee).csrf()
    browser.sign_in_as(admin)
    response = browser.post("/admin/departments", {"name": "Sneaky", "csrf_token": other_token})
    assert response.status_code == 403


def test_htmx_header_token_is_accepted(browser: Browser, admin: Person) -> None:
    browser.sign_in_as(admin)
    response = browser.client.post(
        "/admin/departments", data={"name": "Via htmx"}, headers={"X-CSRF-Token": browser.csrf()}
    )
    assert response.status_code == 303


def test_logout_ends_the_session_on_the_server(browser: Browser, employee: Person) -> None:
    browser.sign_in_as(employee)
    old_cookie = dict(browser.client.cookies)
    assert browser.post("/logout").status_code == 303
    browser.client.cookies.clear()
    for name, value in old_cookie.items():
        browser.client.cookies.set(name, value)
    assert browser.get("/me").status_code == 303  # replaying the old cookie leads to the login page


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example", "javascript:alert(1)", "/\\evil"]
)
def test_login_next_never_leaves_the_site(browser: Browser, employee: Person, target: str) -> None:
    response = browser.anonymous().post(
        "/login", {"email": employee.email, "password": factories.PASSWORD, "next": target}
    )
    assert response.headers["location"] == "/"


def test_every_page_has_security_headers(browser: Browser, employee: Person) -> None:
    response = browser.sign_in_as(employee).get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["vary"] == "HX-Request"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_htmx_fragment_request_gets_only_the_block(browser: Browser, admin: Person) -> None:
    browser.sign_in_as(admin)
    fragment = browser.get("/admin/people", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and admin.name in fragment.text
    boosted = browser.get("/admin/people", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text
    restore = browser.get(
        "/admin/people", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


def test_token_created_on_own_page_is_shown_once_and_works_on_the_api(
    browser: Browser, employee: Person
) -> None:
    browser.sign_in_as(employee)
    response = browser.post("/me/tokens", {"name": "my script"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    token = re.search(r'id="new-token-value">([^<]+)<', response.text)
    assert token is not None
    api = browser.client.get("/api/v1/me", headers=bearer(token.group(1)))
    assert api.status_code == 200
    assert api.json() == {
        "id": employee.id,
        "email": employee.email,
        "name": employee.name,
        "handle": employee.handle,
        "role": "employee",
        "team": api.json()["team"],
        "department": api.json()["department"],
        "team_id": employee.team_id,  # the contract's "next" additions (issue 24)
        "department_id": api.json()["department_id"],
        "email_notifications": "off",  # issue 25: PATCH /api/v1/me sets it
    }
    assert api.json()["team"] is not None and api.json()["department"] is not None
    assert api.json()["team_id"] is not None and api.json()["department_id"] is not None
    page = browser.get("/me")
    assert token.group(1) not in page.text and "my script" in page.text


def test_revoked_token_gets_401(browser: Browser, employee: Person, db: Session) -> None:
    from app.auth import service as auth_service

    created = auth_service.create_token(db, actor=employee, owner=employee)
    browser.sign_in_as(employee)
    assert browser.post(f"/me/tokens/{created.record.id}/revoke").status_code == 303
    response = browser.client.get("/api/v1/me", headers=bearer(created.token))
    assert response.status_code == 401 and response.json() == {"detail": "Missing or invalid API token."}


def test_api_refuses_cookie_only_requests(browser: Browser, employee: Person) -> None:
    browser.sign_in_as(employee)
    response = browser.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"


def test_token_in_query_string_is_not_accepted(browser: Browser, employee: Person, db: Session) -> None:
    from app.auth import service as auth_service

    created = auth_service.create_token(db, actor=employee, owner=employee)
    assert browser.anonymous().get(f"/api/v1/me?access_token={created.token}").status_code == 401


def test_unknown_api_route_is_404_json(browser: Browser) -> None:
    response = browser.anonymous().get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_unknown_page_is_a_helpful_404(browser: Browser, employee: Person) -> None:
    response = browser.sign_in_as(employee).get("/nothing-here")
    assert response.status_code == 404
    assert "Page not found" in response.text and "Go to the home page" in response.text


def test_oversized_body_is_refused_with_413(
    browser: Browser, admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    browser.sign_in_as(admin)
    response = browser.post("/admin/departments", {"name": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "at most 1 MB" in response.text


def test_change_password_ends_sessions_and_new_password_works(browser: Browser, employee: Person) -> None:
    browser.sign_in_as(employee)
    response = browser.post(
        "/me/password", {"current_password": factories.PASSWORD, "new_password": "a brand new passphrase"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert browser.get("/me").status_code == 303
    assert _login(browser.anonymous(), employee.email, "a brand new passphrase").status_code == 303


def test_change_password_with_wrong_current_password_changes_nothing(
    browser: Browser, employee: Person
) -> None:
    browser.sign_in_as(employee)
    response = browser.post(
        "/me/password", {"current_password": "not it at all", "new_password": "whatever 12345"}
    )
    assert response.status_code == 422 and "That is not your current password." in response.text
    assert browser.get("/me").status_code == 200


def test_healthz_reports_database_ok(browser: Browser, search_index: object) -> None:
    response = browser.anonymous().get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_openapi_needs_sign_in_and_describes_the_api(browser: Browser, employee: Person, db: Session) -> None:
    from app.auth import service as auth_service

    assert browser.anonymous().get("/openapi.json").status_code in (303, 401)
    created = auth_service.create_token(db, actor=employee, owner=employee)
    schema = browser.client.get("/openapi.json", headers=bearer(created.token)).json()
    assert "/api/v1/me" in schema["paths"]


def test_header_auth_trusts_only_the_configured_proxy(
    browser: Browser, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_AUTH_MODE", "header")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.9.9.9")  # the test client is not it
    get_settings.cache_clear()
    response = browser.anonymous().get("/me", headers={"X-Forwarded-Email": "spoof@corp.local"})
    assert response.status_code == 303
    from app.people import service as people_service

    assert people_service.get_by_email(db, email="spoof@corp.local") is None


def test_header_auth_from_trusted_proxy_signs_in_and_creates_employee(
    browser: Browser, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_AUTH_MODE", "header")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "0.0.0.0/0,::/0")
    get_settings.cache_clear()
    from starlette.testclient import TestClient

    from app.main import app

    with TestClient(app, base_url="http://testserver", client=("10.0.0.5", 5000)) as trusted:
        response = trusted.get(
            "/me", headers={"X-Forwarded-Email": "sso.person@corp.local", "X-Forwarded-Name": "Sso Person"}
        )
    assert response.status_code == 200 and "Sso Person" in response.text


def test_header_auth_places_a_newcomer_in_the_team_its_headers_name(
    browser: Browser, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_AUTH_MODE", "header")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "0.0.0.0/0,::/0")
    monkeypatch.setenv("PORTAL_AUTH_DEPARTMENT_HEADER", "X-Forwarded-Department")
    monkeypatch.setenv("PORTAL_AUTH_TEAM_HEADER", "X-Forwarded-Team")
    get_settings.cache_clear()
    from starlette.testclient import TestClient

    from app.main import app
    from app.people import service as people_service

    headers = {
        "X-Forwarded-Email": "new.joiner@corp.local",
        "X-Forwarded-Name": "New Joiner",
        "X-Forwarded-Department": "Logistics",
        "X-Forwarded-Team": "Night Dispatch",
    }
    with TestClient(app, base_url="http://testserver", client=("10.0.0.5", 5000)) as trusted:
        home = trusted.get("/", headers=headers)
        assert (
            home.status_code == 200 and "You are in <strong>Night Dispatch</strong>, Logistics." in home.text
        )
        trusted.get("/", headers={**headers, "X-Forwarded-Team": "Returns Desk"})  # a later move: an admin's
    joiner = people_service.get_by_email(db, email="new.joiner@corp.local")
    assert joiner is not None
    db.refresh(joiner)
    assert [t.name for t, _d in people_service.list_teams(db) if t.id == joiner.team_id] == ["Night Dispatch"]
