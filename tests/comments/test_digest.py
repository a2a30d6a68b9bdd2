"""E-mail digests, sent to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.core.config import get_settings
from app.core.errors import ValidationFailed
from app.notifications import digest as digest_service
from app.people.models import Person
from tests import factories
from tests.browser import Browser
from tests.mailbox import Inbox


def test_daily_digest_lists_unread_notifications_once(
    db: Session, employee: Person, cx: Person, smtp: Inbox
) -> None:
    digest_service.set_preference(db, person=employee, digest="daily")
    factories.notification(db, person=employee, text="Leo Leader answered your proposal", url="/proposals/7")
    factories.notification(db, person=cx, text="Not for a digest: cx has none", url="/")
    assert digest_service.send(db, period="daily") == 1
    [message] = smtp.messages
    assert message["To"] == employee.email and "1 new notification" in message["Subject"]
    body = message.get_payload()
    assert "Leo Leader answered your proposal" in str(body)
    assert "https://portal.corp.local/proposals/7" in str(body)
    assert digest_service.send(db, period="daily") == 0  # not again within the day
    assert len(smtp.messages) == 1


def test_digest_needs_an_smtp_host(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SMTP_HOST", "")
    get_settings.cache_clear()
    with pytest.raises(ValidationFailed):
        digest_service.send(db, period="weekly")


def test_digest_preference_is_set_on_the_persons_page(
    browser: Browser, db: Session, employee: Person
) -> None:
    browser.sign_in_as(employee)
    assert browser.post("/me/digest", {"digest": "weekly"}).status_code == 303
    db.refresh(employee)
    assert employee.digest == "weekly"
    assert browser.post("/me/digest", {"digest": "hourly"}).status_code == 422


def test_instant_mail_goes_out_once_with_a_link_that_stops_it(
    browser: Browser, db: Session, employee: Person, cx: Person, smtp: Inbox
) -> None:
    digest_service.set_preference(db, person=employee, digest="instant")
    factories.notification(db, person=employee, text="Your proposal is accepted", url="/proposals/9")
    factories.notification(db, person=cx, text="cx mails nothing", url="/")
    assert digest_service.send_instant(db) == 1
    [message] = smtp.messages
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert message["To"] == employee.email and "Your proposal is accepted" in body
    assert digest_service.send_instant(db) == 0  # each notification once
    link = next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("No more e-mail"))
    assert "".join(str(message["List-Unsubscribe"]).split()) == f"<{link}>"
    path = link.removeprefix("https://portal.corp.local")
    browser.anonymous()
    page = browser.get(path)
    assert page.status_code == 200 and "Stop e-mail" in page.text
    assert browser.post(path).status_code == 200
    db.refresh(employee)
    assert employee.digest == "off"
    assert browser.get(path[:-3] + "abc").status_code == 404  # a forged link does nothing
    factories.notification(db, person=employee, text="Not mailed any more", url="/")
    assert digest_service.send_instant(db) == 0


def test_the_api_sets_how_a_person_gets_e_mail(browser: Browser, db: Session, employee: Person) -> None:
    from app.auth import service as auth_service
    from tests.browser import bearer

    token = bearer(auth_service.create_token(db, actor=employee, owner=employee).token)
    answer = browser.client.patch("/api/v1/me", json={"email_notifications": "instant"}, headers=token)
    assert answer.status_code == 200 and answer.json()["email_notifications"] == "instant"
    assert browser.client.get("/api/v1/me", headers=token).json()["email_notifications"] == "instant"
    refused = browser.client.patch("/api/v1/me", json={"email_notifications": "hourly"}, headers=token)
    assert refused.status_code == 422
