"""Channels, as admins set them up (on /admin/integrations and with the API): create with the secret
shown once, list, delete, rotate the secret, and see and resend deliveries."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.audit import service as audit_service
from app.core import db
from app.core.db import owns_transaction
from app.core.errors import NotFound, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.core.sealing import seal
from app.integrations import addresses
from app.integrations.events import EVENT_TYPES
from app.integrations.models import FAILED, PENDING, Channel, ChannelKind, Delivery
from app.people.models import Department, Person, Role

MAX_CHANNELS = 50
DELIVERIES_SHOWN = 50


@dataclass(frozen=True)
class NewChannel:
    channel: Channel
    secret: str | None  # a webhook's signing secret, shown once; None for Slack and Teams


def _check_admin(actor: Person) -> None:
    if actor.role != Role.admin:
        raise PermissionDenied("Only admins set up integrations.")


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@owns_transaction
def create_channel(
    session: Session, *, actor: Person, url: str, kind: str, events: list[str], department_id: int | None
) -> NewChannel:
    _check_admin(actor)
    errors: dict[str, str] = {}
    if kind not in ChannelKind.__members__:
        errors["kind"] = "Choose webhook, slack or teams."
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if not events:
        errors["events"] = "Choose at least one event."
    elif unknown:
        errors["events"] = f"Unknown events: {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}."
    if department_id is not None and session.get(Department, department_id) is None:
        errors["department_id"] = "Choose an existing department, or none for all."
    try:
        url = addresses.check(url)
    except addresses.AddressRefused as exc:
        errors["url"] = str(exc)
    if session.exec(select(func.count()).select_from(Channel)).one() >= MAX_CHANNELS:
        errors["url"] = f"The portal holds {MAX_CHANNELS} channels, the most it keeps; delete one first."
    ValidationFailed.unless_empty(errors)
    secret = new_secret() if kind == ChannelKind.webhook else None
    channel = Channel(
        kind=kind,
        url_sealed=seal(url),
        url_shown=addresses.shown(url),
        secret_sealed=seal(secret) if secret else None,
        events=[e for e in EVENT_TYPES if e in set(events)],
        department_id=department_id,
        created_by_id=actor.id,
    )
    session.add(channel)
    session.flush()
    summary = f"{kind} {channel.url_shown}: {', '.join(channel.events)}"
    audit_service.record(session, actor, "integration.create", channel, summary=summary)
    db.commit(session)
    return NewChannel(channel=channel, secret=secret)


def list_channels(session: Session) -> list[Channel]:
    return list(session.exec(select(Channel).order_by(col(Channel.id))).all())


def get_channel(session: Session, *, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("There is no such channel.")
    return channel


@owns_transaction
def delete_channel(session: Session, *, actor: Person, channel_id: int) -> None:
    _check_admin(actor)
    channel = get_channel(session, channel_id=channel_id)
    audit_service.record(
        session, actor, "integration.delete", channel, summary=f"{channel.kind} {channel.url_shown}"
    )
    session.delete(channel)
    db.commit(session)


@owns_transaction
def rotate_secret(session: Session, *, actor: Person, channel_id: int) -> str:
    """A new signing secret for a webhook channel, shown once; the old one stops at once."""
    _check_admin(actor)
    channel = get_channel(session, channel_id=channel_id)
    if channel.kind != ChannelKind.webhook:
        raise ValidationFailed({"kind": "Only webhook channels sign with a secret."})
    secret = new_secret()
    channel.secret_sealed = seal(secret)
    session.add(channel)
    audit_service.record(session, actor, "integration.rotate", channel, summary=channel.url_shown)
    db.commit(session)
    return secret


@owns_transaction
def enable(session: Session, *, actor: Person, channel_id: int) -> Channel:
    """Turn a channel that was turned off (410, an unreadable secret) on again."""
    _check_admin(actor)
    channel = get_channel(session, channel_id=channel_id)
    channel.disabled_at = channel.disabled_reason = None
    session.add(channel)
    audit_service.record(session, actor, "integration.enable", channel, summary=channel.url_shown)
    db.commit(session)
    return channel


def deliveries(session: Session, *, channel_id: int, limit: int = DELIVERIES_SHOWN) -> list[Delivery]:
    get_channel(session, channel_id=channel_id)
    return list(
        session.exec(
            select(Delivery)
            .where(Delivery.channel_id == channel_id)
            .order_by(col(Delivery.id).desc())
            .limit(limit)
        ).all()
    )


@owns_transaction
def resend(session: Session, *, actor: Person, delivery_id: int) -> Delivery:
    """Send a delivery again (the same body and webhook-id), now."""
    _check_admin(actor)
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("There is no such delivery.")
    delivery.status, delivery.next_attempt_at = PENDING, utcnow()
    # A fresh 24 hours of retries from now.
    delivery.created_at = utcnow()
    session.add(delivery)
    audit_service.record(
        session, actor, "integration.resend", delivery, summary=f"{delivery.event} {delivery.message_id}"
    )
    db.commit(session)
    return delivery


def failed_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Delivery).where(Delivery.status == FAILED)).one()
