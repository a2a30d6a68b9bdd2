"""A test client that acts as a named person, with their session cookie and CSRF token."""

from __future__ import annotations

import hmac
from hashlib import sha256
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.config import get_settings
from app.core.websecurity import CSRF_SEED_COOKIE, SESSION_COOKIE_PLAIN
from app.people.models import Person


class Browser:
    def __init__(self, client: TestClient, db: Session) -> None:
        self.client = client
        self.db = db

    def sign_in_as(self, person: Person) -> Browser:
        """Open a real server-side session for `person` and put its cookie in the jar."""
        self.client.cookies.clear()
        opened = auth_service.open_session(self.db, person=person)
        self.client.cookies.set(SESSION_COOKIE_PLAIN, opened.token)
        return self

    def anonymous(self) -> Browser:
        self.client.cookies.clear()
        self.client.cookies.set(CSRF_SEED_COOKIE, "anonymous-test-seed")
        return self

    def csrf(self) -> str:
        seed = (
            self.client.cookies.get(SESSION_COOKIE_PLAIN) or self.client.cookies.get(CSRF_SEED_COOKIE) or ""
        )
        key = get_settings().resolved_secret_key().encode()
        return hmac.new(key, b"csrf|" + seed.encode(), sha256).hexdigest()

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf())
        return self.client.post(url, data=form, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused_at_the_fields(response: httpx.Response, *texts: str) -> None:
    """A form sent back with 422, its bad fields marked for screen readers, saying `texts`."""
    assert response.status_code == 422, response.text
    assert 'aria-invalid="true"' in response.text
    for text in texts:
        assert text in response.text
