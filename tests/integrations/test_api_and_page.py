"""Channels through the API (POST/GET/DELETE /api/v1/webhooks, deliveries) and the admin page."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.core.config import get_settings
from app.integrations.models import Channel
from app.people.models import Person
from tests.browser import Browser, bearer


@pytest.fixture(autouse=True)
def private_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ALLOW_PRIVATE_WEBHOOKS", "true")
    get_settings.cache_clear()


def test_the_api_creates_lists_and_deletes_channels_with_the_secret_shown_once(
    browser: Browser, db: Session, admin: Person, employee: Person
) -> None:
    token = bearer(auth_service.create_token(db, actor=admin, owner=admin).token)
    made = browser.client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "kind": "webhook", "events": ["proposal.created"]},
        headers=token,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["url"] == "http://127.0.0.1:9/hook"
    listed = browser.client.get("/api/v1/webhooks", headers=token).json()
    assert [c["id"] for c in listed] == [body["id"]] and "secret" not in listed[0]
    deliveries = browser.client.get(f"/api/v1/webhooks/{body['id']}/deliveries", headers=token)
    assert deliveries.status_code == 200 and deliveries.json() == {"items": []}
    bad = browser.client.post(
        "/api/v1/webhooks", json={"url": "not a url", "kind": "fax", "events": ["x"]}, headers=token
    )
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["detail"]} >= {"url", "kind", "events"}
    mine = bearer(auth_service.create_token(db, actor=employee, owner=employee).token)
    assert browser.client.get("/api/v1/webhooks", headers=mine).status_code == 403
    assert browser.client.delete(f"/api/v1/webhooks/{body['id']}", headers=token).status_code == 204
    assert db.exec(select(Channel)).all() == []


def test_the_admin_page_adds_a_channel_shows_the_secret_once_and_refuses_bad_input(
    browser: Browser, admin: Person
) -> None:
    browser.sign_in_as(admin)
    empty = browser.get("/admin/integrations")
    assert empty.status_code == 200 and "No channels yet" in empty.text
    refused = browser.post("/admin/integrations", {"url": "", "kind": "webhook"})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    assert "Choose at least one event." in refused.text
    made = browser.post(
        "/admin/integrations",
        {
            "url": "http://127.0.0.1:9/hook",
            "kind": "webhook",
            "events": ["proposal.decided", "comment.created"],
        },
    )
    assert made.status_code == 200 and "whsec_" in made.text and "shown only this once" in made.text
    again = browser.get("/admin/integrations")
    assert "whsec_" not in again.text and "proposal.decided, comment.created" in again.text
    slack = browser.post(
        "/admin/integrations",
        {"url": "http://127.0.0.1:9/services/T/B/x", "kind": "slack", "events": ["proposal.created"]},
    )
    assert slack.status_code == 303
