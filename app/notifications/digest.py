"""E-mail digests: each person who asked for one gets their unread notifications, daily or weekly."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from sqlmodel import Session, col, select

from app.core import db
from app.core.config import get_settings
from app.core.errors import ValidationFailed
from app.core.models import aware, utcnow
from app.notifications.models import Notification
from app.people.models import Person

log = logging.getLogger("portal.digest")
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
CHOICES = ("off", "daily", "weekly")


def set_preference(session: Session, *, person: Person, digest: str) -> None:
    if digest not in CHOICES:
        raise ValidationFailed({"digest": "Choose off, daily or weekly."})
    person.digest = digest
    session.add(person)
    db.commit(session)


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
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for person in people:
            since = aware(person.last_digest_at) if person.last_digest_at else now - every
            if person.last_digest_at and now - since < every:
                continue
            items = session.exec(
                select(Notification)
                .where(
                    Notification.person_id == person.id,
                    col(Notification.read_at).is_(None),
                    col(Notification.created_at) > since,
                )
                .order_by(col(Notification.id))
            ).all()
            if items:
                smtp.send_message(_message(person, list(items), period))
                sent += 1
            person.last_digest_at = now
            session.add(person)
    db.commit(session)
    log.info("digests sent", extra={"event": "digest.sent"})
    return sent


def _message(person: Person, items: list[Notification], period: str) -> EmailMessage:
    settings = get_settings()
    base = settings.base_url.rstrip("/")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = person.email
    count = len(items)
    message["Subject"] = f"{settings.site_name}: {count} new notification{'s' if count != 1 else ''}"
    lines = [f"Hello {person.name},", "", f"Your {period} summary from {settings.site_name}:", ""]
    lines += [f"- {n.text}\n  {base}{n.url}" for n in items]
    lines += ["", f"Change how often you get this on your page: {base}/me"]
    message.set_content("\n".join(lines))
    return message
