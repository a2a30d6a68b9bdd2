"""Company sign-in (PORTAL_AUTH_MODE=oidc) against a real OpenID Connect provider process on loopback
(oidc-provider-mock): the whole authorization code flow over HTTP, the ID token checked."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from oidc_provider_mock import User, run_server_in_thread
from sqlmodel import Session, select

from app.auth import oidc
from app.auth.models import UserSession
from app.core.config import Settings, get_settings
from app.core.credentials import hash_password
from app.people.models import Department, Person, Role, Team
from tests.browser import Browser

ANN = {
    "email": "ann.oak@corp.test",
    "name": "Ann Oak",
    "department": "Logistics",
    "team": "Night Dispatch",
    "groups": ["everyone", "portal-leaders"],
}


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with run_server_in_thread(
        port=0, require_nonce=True, user_claims=[User(sub="ann", claims=ANN)]
    ) as server:
        url = f"http://localhost:{server.server_port}"
        for name, value in {
            "PORTAL_AUTH_MODE": "oidc",
            "PORTAL_OIDC_ISSUER": url,
            "PORTAL_OIDC_CLIENT_ID": "insight-loop",
            "PORTAL_OIDC_CLIENT_SECRET": "client-secret-for-tests",
            "PORTAL_BASE_URL": "http://testserver",
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        oidc._discovered.clear()
        yield url
        oidc._discovered.clear()


def start(client: TestClient, next_path: str = "/") -> tuple[str, str]:
    """GET /login: the portal sends the browser to the provider. (authorize URL, flow cookie)"""
    response = client.get(f"/login?next={next_path}")
    assert response.status_code == 303, response.text
    return response.headers["location"], response.cookies[oidc.COOKIE]


def authorize(authorize_url: str, sub: str = "ann") -> str:
    """The person signs in at the provider, which sends the browser back: the callback path."""
    answer = httpx.post(authorize_url, data={"sub": sub}, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/auth/oidc/callback"
    return f"{back.path}?{back.query}"


def sign_in(client: TestClient, sub: str = "ann", next_path: str = "/") -> Any:
    url, _flow = start(client, next_path)
    return client.get(authorize(url, sub))


def test_the_first_sign_in_creates_the_person_in_their_team_with_their_role(
    client: TestClient, db: Session, issuer: str
) -> None:
    url, _ = start(client, "/insights")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{issuer}/oauth2/authorize")
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == ["http://testserver/auth/oidc/callback"]
    landed = client.get(authorize(url))
    assert landed.status_code == 303 and landed.headers["location"] == "/insights"
    ann = db.exec(select(Person).where(Person.email == "ann.oak@corp.test")).one()
    team = db.get(Team, ann.team_id)
    assert ann.name == "Ann Oak" and ann.role == Role.leader
    assert team is not None and team.name == "Night Dispatch"
    assert db.get(Department, team.department_id).name == "Logistics"  # type: ignore[union-attr]
    home = client.get("/")
    assert home.status_code == 200 and "Ann Oak" in home.text


def test_a_later_sign_in_keeps_the_person_in_step_with_the_directory(
    client: TestClient, db: Session, issuer: str
) -> None:
    sign_in(client)
    moved = {**ANN, "team": "Returns Desk", "department": "Customer Care", "groups": ["everyone"]}
    assert httpx.put(f"{issuer}/users/ann", json=moved, timeout=10).status_code == 204
    client.cookies.clear()
    assert sign_in(client).status_code == 303
    ann = db.exec(select(Person).where(Person.email == "ann.oak@corp.test")).one()
    db.refresh(ann)
    assert ann.role == Role.employee  # no mapped group any more
    assert db.get(Team, ann.team_id).name == "Returns Desk"  # type: ignore[union-attr]
    assert len(db.exec(select(Person).where(Person.email == "ann.oak@corp.test")).all()) == 1


def test_a_callback_with_another_state_signs_nobody_in(client: TestClient, db: Session, issuer: str) -> None:
    url, _ = start(client)
    callback = authorize(url)
    forged = callback.replace("state=", "state=x")
    refused = client.get(forged)
    assert refused.status_code == 400
    assert "did not complete" in refused.text and "Nobody was signed in" in refused.text
    assert db.exec(select(Person).where(Person.email == "ann.oak@corp.test")).first() is None
    assert db.exec(select(UserSession)).all() == []


def test_a_replayed_callback_signs_nobody_in(client: TestClient, db: Session, issuer: str) -> None:
    url, flow = start(client)
    callback = authorize(url)
    assert client.get(callback).status_code == 303
    sessions = len(db.exec(select(UserSession)).all())
    client.cookies.clear()
    client.cookies.set(oidc.COOKIE, flow, path="/auth/oidc")  # the same browser state, sent again
    replayed = client.get(callback)
    assert replayed.status_code == 400 and "used already" in replayed.text
    assert len(db.exec(select(UserSession)).all()) == sessions


def test_a_callback_without_the_browsers_flow_cookie_signs_nobody_in(client: TestClient, issuer: str) -> None:
    url, _ = start(client)
    callback = authorize(url)
    client.cookies.clear()  # another browser following the link
    refused = client.get(callback)
    assert refused.status_code == 400 and "this browser did not start it" in refused.text


def test_a_provider_that_is_down_gets_a_page_that_says_so(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, issuer: str
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("PORTAL_OIDC_ISSUER", f"http://127.0.0.1:{closed}")
    get_settings.cache_clear()
    oidc._discovered.clear()
    page = client.get("/login")
    assert page.status_code == 503
    assert "The company sign-in is not available right now" in page.text


def test_signing_out_ends_the_portal_session_and_the_providers(
    client: TestClient, db: Session, issuer: str
) -> None:
    sign_in(client)
    out = client.post(
        "/logout",
        headers={"X-CSRF-Token": client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]},
    )
    assert out.status_code == 303
    assert out.headers["location"].startswith(f"{issuer}/oauth2/end_session")
    assert (
        "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Flogin%3Fsigned_out%3D1" in out.headers["location"]
    )
    assert db.exec(select(UserSession)).all() == []
    back = client.get("/login?signed_out=1")
    assert back.status_code == 200 and "You are signed out" in back.text


def test_the_group_map_gives_the_highest_mapped_role(issuer: str) -> None:
    assert oidc.role_for({"groups": ["portal-cx", "portal-admins"]}) == Role.admin
    assert oidc.role_for({"groups": "portal-cx"}) == Role.cx
    assert oidc.role_for({}) == Role.employee


def test_oidc_mode_needs_an_issuer_and_a_well_formed_role_map() -> None:
    with pytest.raises(ValueError, match="PORTAL_OIDC_ISSUER"):
        Settings(auth_mode="oidc", oidc_client_id="portal")
    with pytest.raises(ValueError, match="PORTAL_OIDC_ROLE_MAP"):
        Settings(
            auth_mode="oidc", oidc_issuer="https://id.corp", oidc_client_id="p", oidc_role_map="leaders:boss"
        )


def test_a_break_glass_admin_signs_in_with_a_password_while_the_provider_is_down(
    browser: Browser, admin: Person, employee: Person, monkeypatch: pytest.MonkeyPatch, issuer: str
) -> None:
    monkeypatch.setenv("PORTAL_OIDC_ISSUER", "http://127.0.0.1:9")  # nobody answers there
    monkeypatch.setenv("PORTAL_BREAK_GLASS_EMAIL", admin.email)
    get_settings.cache_clear()
    oidc._discovered.clear()
    for person in (admin, employee):
        person.password_hash = hash_password("break glass passphrase 2026")
        browser.db.add(person)
    browser.db.commit()
    assert browser.get("/login").status_code == 503  # the company sign-in says it is down ...
    form = browser.get("/login?local=1")  # ... and the password form is still there
    assert form.status_code == 200 and "Work e-mail" in form.text
    signed_in = browser.post(
        "/login", {"email": admin.email, "password": "break glass passphrase 2026", "next": "/admin/people"}
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/admin/people"
    refused = browser.post("/login", {"email": employee.email, "password": "break glass passphrase 2026"})
    assert refused.status_code == 403  # nobody else gets round the company's sign-in


ISSUER = "https://id.corp.test"


def _id_token(key: Any, **claims: Any) -> str:
    from joserfc import jwt

    now = int(time.time())
    body = {
        "iss": "https://id.corp.test",
        "aud": "insight-loop",
        "sub": "ann",
        "nonce": "n-1",
        "exp": now + 300,
    }
    return jwt.encode({"alg": "RS256", "kid": key.kid}, {**body, "iat": now, **claims}, key)


@pytest.mark.parametrize(
    "case",
    ["signed by another key", "another issuer", "another audience", "another nonce", "expired"],
)
def test_an_id_token_that_fails_a_check_signs_nobody_in(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    from joserfc.jwk import KeySet, RSAKey

    monkeypatch.setenv("PORTAL_AUTH_MODE", "oidc")
    monkeypatch.setenv("PORTAL_OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("PORTAL_OIDC_CLIENT_ID", "insight-loop")
    get_settings.cache_clear()
    published = RSAKey.generate_key(2048, parameters={"kid": "published"})
    other = RSAKey.generate_key(2048, parameters={"kid": "published"})  # the same key id, another key
    endpoints = oidc.Provider(
        "https://id.corp.test/a", "https://id.corp.test/t", "https://id.corp.test/k", None
    )
    monkeypatch.setattr(oidc, "provider", lambda: endpoints)
    monkeypatch.setattr(oidc, "_get_json", lambda _url, _what: KeySet([published]).as_dict(private=False))
    assert oidc._checked_claims(_id_token(published), nonce="n-1")["sub"] == "ann"  # the good one passes
    token = {
        "signed by another key": lambda: _id_token(other),
        "another issuer": lambda: _id_token(published, iss="https://evil.test"),
        "another audience": lambda: _id_token(published, aud="someone-else"),
        "another nonce": lambda: _id_token(published, nonce="n-2"),
        "expired": lambda: _id_token(published, exp=int(time.time()) - 3600),
    }[case]()
    with pytest.raises(oidc.SignInFailed):
        oidc._checked_claims(token, nonce="n-1")
