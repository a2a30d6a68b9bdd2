"""Sending deliveries, in `portal worker` only (never in a web request).

Each round claims the due deliveries (a lease, so two workers never send one together), sends them
with a timeout, channel by channel in parallel, and records the outcome:
- 2xx: delivered.
- 410 Gone: the receiver is gone for good; the channel is disabled and the admins are told.
- any other 4xx but 408 and 429: the receiver refuses this message; failed at once (sending the
  same body again would get the same answer).
- 408, 429, 5xx, a timeout or no connection: tried again later under the same webhook-id, after
  5 s, 5 min, 30 min, 2 h, 5 h and 10 h (each ±20 %), until 24 hours after the event: then failed.
A channel that fails in a round is left alone for the rest of that round, so a dead receiver costs
one timeout per round and never holds up the other channels.
"""

from __future__ import annotations

import logging
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import update
from sqlmodel import Session, col, select
from standardwebhooks import Webhook

from app.core import db
from app.core.models import aware, utcnow
from app.core.sealing import Unsealable, unseal
from app.core.worker import RepeatingWorker
from app.integrations import addresses, messages
from app.integrations.models import DELIVERED, FAILED, PENDING, Channel, ChannelKind, Delivery
from app.notifications import service as notification_service
from app.people.models import Person, Role

log = logging.getLogger("portal.integrations")

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
RETRIES = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=2)
BATCH = 200
PARALLEL = 8  # channels sent to at once


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    status: int | None  # the receiver's HTTP status; None when none came
    error: str | None


def next_attempt(delivery: Delivery, now: datetime) -> datetime | None:
    """When to try again after `delivery.attempts` attempts, or None: past 24 hours, give up."""
    if delivery.attempts > len(RETRIES):
        return None
    wait = RETRIES[delivery.attempts - 1] * random.uniform(0.8, 1.2)
    at = now + wait
    return at if at - aware(delivery.created_at) <= GIVE_UP_AFTER else None


def send_due(session: Session, *, client: httpx.Client | None = None, now: datetime | None = None) -> int:
    """One round: claim, send, record. Returns how many deliveries were attempted."""
    now = now or utcnow()
    claimed = _claim(session, now)
    if not claimed:
        return 0
    by_channel: dict[int, list[Delivery]] = {}
    for delivery in claimed:
        by_channel.setdefault(delivery.channel_id, []).append(delivery)
    channels = {c.id: c for c in session.exec(select(Channel).where(col(Channel.id).in_(by_channel))).all()}
    own_client = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            jobs = [
                pool.submit(_send_channel, client, channels[cid], deliveries)
                for cid, deliveries in by_channel.items()
                if cid in channels
            ]
            outcomes = [outcome for job in jobs for outcome in job.result()]
    finally:
        if own_client:
            client.close()
    _record(session, channels, [d.id for d in claimed if d.id is not None], outcomes, utcnow())
    return len(outcomes)


def _claim(session: Session, now: datetime) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.status == PENDING, col(Delivery.next_attempt_at) <= now)
        .order_by(col(Delivery.id))
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = list(session.exec(query).all())
    if claimed:
        session.exec(
            update(Delivery)
            .where(col(Delivery.id).in_([d.id for d in claimed]))
            .values(next_attempt_at=now + LEASE)
        )
    db.commit(session)
    return claimed


def _send_channel(client: httpx.Client, channel: Channel, deliveries: list[Delivery]) -> list[Outcome]:
    """A channel's deliveries in order, stopping at its first failure (the rest wait their turn).
    The address is unsealed and checked, and the secret unsealed, once a round, not once a
    delivery: a round may hold hundreds of one channel's deliveries."""
    first = deliveries[0].id or 0
    if channel.disabled_at is not None:
        return [Outcome(first, None, "the channel is disabled")]
    try:
        url = addresses.check(unseal(channel.url_sealed))
        signer = (
            Webhook(unseal(channel.secret_sealed))
            if channel.kind == ChannelKind.webhook and channel.secret_sealed
            else None
        )
    except addresses.AddressRefused as exc:
        return [Outcome(first, None, str(exc)[:300])]
    except Unsealable:
        return [Outcome(first, None, "the address or secret was sealed with another PORTAL_SECRET_KEY")]
    outcomes = []
    for delivery in deliveries:
        outcome = _send(client, url, signer, delivery)
        outcomes.append(outcome)
        if outcome.status is None or not 200 <= outcome.status < 300:
            break
    return outcomes


def _send(client: httpx.Client, url: str, signer: Webhook | None, delivery: Delivery) -> Outcome:
    assert delivery.id is not None
    content = messages.encode(delivery.body)
    headers = {"content-type": "application/json", "user-agent": "InsightLoop-Webhooks/1"}
    if signer is not None:
        at = utcnow()
        headers["webhook-id"] = delivery.message_id
        headers["webhook-timestamp"] = str(int(at.timestamp()))
        headers["webhook-signature"] = signer.sign(delivery.message_id, at, content)
    try:
        answer = client.post(url, content=content, headers=headers)
    except httpx.TimeoutException:
        return Outcome(delivery.id, None, "no answer within 5 seconds")
    except httpx.HTTPError as exc:
        return Outcome(delivery.id, None, f"{type(exc).__name__}: {exc}"[:300])
    return Outcome(
        delivery.id, answer.status_code, None if answer.is_success else f"HTTP {answer.status_code}"
    )


def _record(
    session: Session,
    channels: dict[int | None, Channel],
    claimed: list[int],
    outcomes: list[Outcome],
    now: datetime,
) -> None:
    sent = {o.delivery_id for o in outcomes}
    for outcome in outcomes:
        delivery = session.get(Delivery, outcome.delivery_id)
        if delivery is None:
            continue
        channel = channels.get(delivery.channel_id)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status = outcome.status
        delivery.last_error = outcome.error
        status = outcome.status
        if status is not None and 200 <= status < 300:
            delivery.status = DELIVERED
        elif status == 410 and channel is not None:
            delivery.status = FAILED
            _disable(session, channel, "The receiver answered 410 Gone: it no longer takes messages.", now)
        elif status is not None and 400 <= status < 500 and status not in (408, 429):
            delivery.status = FAILED
        else:
            again = next_attempt(delivery, now)
            delivery.status = PENDING if again else FAILED
            delivery.next_attempt_at = again or now
        session.add(delivery)
    # Deliveries claimed but not sent (their channel failed first this round) are due again soon.
    unsent = [d for d in claimed if d not in sent]
    if unsent:
        session.exec(
            update(Delivery).where(col(Delivery.id).in_(unsent)).values(next_attempt_at=now + RETRIES[0])
        )
    db.commit(session)


def _disable(session: Session, channel: Channel, reason: str, now: datetime) -> None:
    if channel.disabled_at is not None:
        return
    channel.disabled_at, channel.disabled_reason = now, reason
    session.add(channel)
    admins = session.exec(select(Person.id).where(Person.role == Role.admin, Person.is_active)).all()
    notification_service.notify(
        session,
        person_ids=[a for a in admins if a is not None],
        url="/admin/integrations",
        text=f"The {channel.kind} channel {channel.url_shown} was turned off: {reason}",
    )
    log.warning("channel disabled", extra={"event": "integrations.disabled", "channel_id": channel.id})


class Sender(RepeatingWorker):
    """`portal worker`'s thread that sends the due deliveries about every second."""

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(
            name="integration-sender", interval=interval, log=log, failure_event="integrations.failed"
        )

    def step(self) -> bool:
        with db.new_session() as session:
            return send_due(session) >= BATCH
