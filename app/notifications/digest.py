"""Notifications by e-mail, as each person chooses: off, instant (within a minute, from `portal
worker`), or a daily or weekly digest (`portal digest daily|weekly`, from cron). A notification goes
out by e-mail once at most. Every mail carries a link that turns e-mail off without signing in
(and the List-Unsubscribe header, so mail programs offer it too)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.core import db
from app.core.config import get_settings
from app.core.errors import ValidationFailed
from app.core.models import aware, utcnow
from app.notifications.models import Notification
from app.people.models import Person

log = logging.getLogger("portal.digest")
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
CHOICES = ("off", "instant", "daily", "weekly")
INSTANT_WINDOW = timedelta(days=1)  # switching to instant does not mail old notifications


def set_preference(session: Session, *, person: Person, digest: str) -> None:
    if digest not in CHOICES:
        raise ValidationFailed({"digest": "Choose off, instant, daily or weekly."})
    person.digest = digest
    session.add(person)
    db.commit(session)


# --- the unsubscribe link ------------------------------------------------------------------------


def unsubscribe_token(person_id: int) -> str:
    key = get_settings().resolved_secret_key().encode()
    mac = hmac.new(key, f"unsubscribe|{person_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{person_id}.{mac}"


def person_for_unsubscribe(session: Session, token: str) -> Person | None:
    person_id, _, _ = token.partition(".")
    if not person_id.isdigit() or len(person_id) > 12 or len(token) > 64:
        return None
    if not hmac.compare_digest(token, unsubscribe_token(int(person_id))):
        return None
    return session.get(Person, int(person_id))


def unsubscribe(session: Session, *, token: str) -> Person | None:
    """Turn a person's e-mail off from the link in a mail; None for a link that is not genuine."""
    person = person_for_unsubscribe(session, token)
    if person is not None:
        person.digest = "off"
        session.add(person)
        db.commit(session)
    return person


# --- sending -----------------------------------------------------------------------------------------


@contextmanager
def _smtp() -> Iterator[smtplib.SMTP]:
    settings = get_settings()
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        yield smtp


def _unread(session: Session, person: Person, since: object) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(
                Notification.person_id == person.id,
                col(Notification.read_at).is_(None),
                col(Notification.emailed_at).is_(None),
                col(Notification.created_at) > since,
            )
            .order_by(col(Notification.id))
        ).all()
    )


def _mark_emailed(session: Session, items: list[Notification]) -> None:
    now = utcnow()
    session.exec(
        update(Notification).where(col(Notification.id).in_([n.id for n in items])).values(emailed_at=now)
    )


def send(session: Session, *, period: str) -> int:
    """Send the digest to everyone on this period whose last one is at least a period old.
    Returns how many e-mails went out. Nothing is sent without PORTAL_SMTP_HOST."""
    settings = get_settings()
    if not settings.smtp_host:
        raise ValidationFailed({"smtp_host": "Set PORTAL_SMTP_HOST to send e-mail digests."})
    every = PERIODS[period]
    now = utcnow()
    sent = 0
    people = session.exec(select(Person).where(Person.digest == period, Person.is_active)).all()
    with _smtp() as smtp:
        for person in people:
            since = aware(person.last_digest_at) if person.last_digest_at else now - every
            if person.last_digest_at and now - since < every:
                continue
            items = _unread(session, person, since)
            if items:
                smtp.send_message(_message(person, items, f"Your {period} summary"))
                _mark_emailed(session, items)
                sent += 1
            person.last_digest_at = now
            session.add(person)
    db.commit(session)
    log.info("digests sent", extra={"event": "digest.sent"})
    return sent


def send_instant(session: Session) -> int:
    """One e-mail to each person on `instant` with notifications not yet mailed (run by `portal
    worker` every 20 seconds). Returns how many went out; none without PORTAL_SMTP_HOST."""
    if not get_settings().smtp_host:
        return 0
    since = utcnow() - INSTANT_WINDOW
    # Ids first: DISTINCT over whole rows fails on PostgreSQL (a person holds a JSON column).
    waiting_ids = session.exec(
        select(Person.id)
        .join(Notification, col(Notification.person_id) == Person.id)
        .where(
            Person.digest == "instant",
            Person.is_active,
            col(Notification.emailed_at).is_(None),
            col(Notification.read_at).is_(None),
            col(Notification.created_at) > since,
        )
        .distinct()
    ).all()
    if not waiting_ids:
        return 0
    waiting = session.exec(
        select(Person).where(col(Person.id).in_(waiting_ids)).order_by(col(Person.id))
    ).all()
    sent = 0
    with _smtp() as smtp:
        for person in waiting:
            items = _unread(session, person, since)
            if items:
                smtp.send_message(_message(person, items, "New in the portal"))
                _mark_emailed(session, items)
                db.commit(session)  # each person's mail once, even if a later one fails
                sent += 1
    return sent


def _message(person: Person, items: list[Notification], heading: str) -> EmailMessage:
    settings = get_settings()
    base = settings.base_url.rstrip("/")
    assert person.id is not None
    stop = f"{base}/unsubscribe/{unsubscribe_token(person.id)}"
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = person.email
    count = len(items)
    message["Subject"] = f"{settings.site_name}: {count} new notification{'s' if count != 1 else ''}"
    message["List-Unsubscribe"] = f"<{stop}>"
    lines = [f"Hello {person.name},", "", f"{heading} from {settings.site_name}:", ""]
    lines += [f"- {n.text}\n  {base}{n.url}" for n in items]
    lines += [
        "",
        f"Choose how often you get e-mail on your page: {base}/me",
        f"No more e-mail from {settings.site_name}: {stop}",
    ]
    message.set_content("\n".join(lines))
    return message
