"""E-mail digests, sent to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session

from app.core.config import get_settings
from app.core.errors import ValidationFailed
from app.notifications import digest as digest_service
from app.people.models import Person
from tests import factories
from tests.browser import Browser


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_SMTP_PORT", str(port))
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.corp.local")
    get_settings.cache_clear()
    yield inbox
    controller.stop()


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
