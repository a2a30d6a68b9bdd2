"""Webhook, Slack and Teams channels against a real HTTP receiver on loopback: a decision reaches
each, signed as the Standard Webhooks reference library checks; a receiver that fails first gets the
same webhook-id again; 410 turns a channel off; other refusals fail at once; 24 hours is the limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from standardwebhooks import Webhook

from app.core import outbox
from app.core.config import get_settings
from app.core.errors import PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.integrations import delivery, service
from app.integrations.models import DELIVERED, FAILED, PENDING, Channel, Delivery
from app.notifications.models import Notification
from app.people.models import Person
from app.proposals import decisions
from app.proposals.schemas import Decision
from tests import factories
from tests.mailbox import Inbox
from tests.receiver import Receiver, receiver


@pytest.fixture
def private_ok(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The receivers of these tests listen on loopback, which the portal refuses by default."""
    monkeypatch.setenv("PORTAL_ALLOW_PRIVATE_WEBHOOKS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def hooks(private_ok: None) -> Iterator[Receiver]:
    with receiver() as found:
        yield found


def listen(
    db: Session,
    admin: Person,
    url: str,
    *,
    kind: str = "webhook",
    event: str = "proposal.decided",
    department_id: int | None = None,
) -> service.NewChannel:
    """A channel on the test receiver, made as an admin makes one."""
    return service.create_channel(
        db, actor=admin, url=url, kind=kind, events=[event], department_id=department_id
    )


def decide(db: Session, leader: Person, status: str = "under_review") -> int:
    proposal = factories.proposal(db, title="Refunds in one day")
    decisions.decide(
        db,
        actor=leader,
        proposal_id=proposal.id or 0,
        decision=Decision(status=status, response="We are on it."),
    )
    return proposal.id or 0


def deliver(db: Session) -> int:
    """What `portal worker` does: the event outbox fans out, then due deliveries go."""
    outbox.drain(db)
    return delivery.send_due(db)


def test_a_decision_reaches_a_signed_webhook_a_slack_and_a_teams_receiver(
    db: Session, admin: Person, leader: Person, hooks: Receiver
) -> None:
    webhook = listen(db, admin, hooks.at("/hook"))
    listen(db, admin, hooks.at("/slack"), kind="slack")
    listen(db, admin, hooks.at("/teams"), kind="teams")
    assert webhook.secret is not None and webhook.secret.startswith("whsec_")
    proposal_id = decide(db, leader)
    assert deliver(db) == 3
    by_path = {r.path: r for r in hooks.requests}
    signed = by_path["/hook"]
    # The reference library checks the signature, the timestamp and the id.
    body = Webhook(webhook.secret).verify(signed.body, signed.headers)
    assert body["type"] == "proposal.decided"
    assert body["data"]["id"] == proposal_id and body["data"]["status"] == "under_review"
    assert body["data"]["response"] == "We are on it." and body["data"]["decided_by"] == leader.name
    assert signed.headers["webhook-id"].startswith("msg_")
    slack = json.loads(by_path["/slack"].body)
    assert "Refunds in one day" in slack["text"] and slack["blocks"][0]["type"] == "section"
    teams = json.loads(by_path["/teams"].body)
    assert teams["@type"] == "MessageCard" and teams["potentialAction"][0]["targets"][0]["uri"].endswith(
        f"/proposals/{proposal_id}"
    )
    assert "webhook-signature" not in by_path["/slack"].headers
    statuses = db.exec(select(Delivery.status)).all()
    assert statuses == [DELIVERED] * 3


def test_a_receiver_that_fails_first_gets_the_same_webhook_id_again(
    db: Session, admin: Person, leader: Person, hooks: Receiver
) -> None:
    made = listen(db, admin, hooks.at("/hook"))
    hooks.answer_with(503)
    decide(db, leader)
    deliver(db)
    waiting = db.exec(select(Delivery)).one()
    assert waiting.status == PENDING and waiting.attempts == 1 and waiting.last_status == 503
    assert waiting.next_attempt_at > utcnow()  # backed off, not hammered
    delivery.send_due(db, now=utcnow() + timedelta(minutes=1))
    db.refresh(waiting)
    assert waiting.status == DELIVERED and waiting.attempts == 2
    first, second = hooks.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == waiting.message_id
    assert made.secret is not None
    Webhook(made.secret).verify(second.body, second.headers)
    assert first.body == second.body


def test_410_turns_the_channel_off_and_tells_the_admins(
    db: Session, admin: Person, leader: Person, hooks: Receiver
) -> None:
    listen(db, admin, hooks.at("/gone"), kind="slack")
    hooks.answer_with(410)
    decide(db, leader)
    deliver(db)
    channel = db.exec(select(Channel)).one()
    assert channel.disabled_at is not None and "410" in (channel.disabled_reason or "")
    assert db.exec(select(Delivery.status)).one() == FAILED
    told = db.exec(select(Notification).where(Notification.person_id == admin.id)).all()
    assert any("turned off" in n.text for n in told)
    decide(db, leader, status="accepted")  # a channel that is off gets nothing more
    deliver(db)
    assert len(hooks.requests) == 1


def test_a_4xx_fails_at_once_and_24_hours_is_the_limit(
    db: Session, admin: Person, leader: Person, hooks: Receiver
) -> None:
    listen(db, admin, hooks.at("/hook"))
    hooks.answer_with(400)
    decide(db, leader)
    deliver(db)
    refused = db.exec(select(Delivery)).one()
    assert refused.status == FAILED and refused.attempts == 1
    # A receiver down for a day: the last retry that fits in 24 hours, then failed.
    hooks.answer_with(500, 500)
    decide(db, leader, status="accepted")
    outbox.drain(db)
    late = db.exec(select(Delivery).where(Delivery.status == PENDING)).one()
    late.created_at = utcnow() - timedelta(hours=23, minutes=59)
    late.attempts = 5
    db.add(late)
    db.commit()
    delivery.send_due(db)
    db.refresh(late)
    assert late.status == FAILED and late.attempts == 6 and late.last_status == 500


def test_private_and_loopback_addresses_are_refused_unless_allowed(db: Session, admin: Person) -> None:
    for url in ("http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]/x", "ftp://example.org/x"):
        with pytest.raises(ValidationFailed) as refused:
            service.create_channel(
                db, actor=admin, url=url, kind="webhook", events=["proposal.created"], department_id=None
            )
        assert "url" in refused.value.errors
    with pytest.raises(ValidationFailed) as bad:
        service.create_channel(
            db, actor=admin, url="https://example.org/x", kind="pager", events=["nope"], department_id=None
        )
    assert set(bad.value.errors) >= {"kind", "events"}
    assert db.exec(select(Channel)).all() == []


def test_only_admins_set_up_channels_and_secrets_are_sealed_at_rest(
    db: Session, admin: Person, leader: Person, private_ok: None
) -> None:
    with pytest.raises(PermissionDenied):
        service.create_channel(
            db,
            actor=leader,
            url="http://127.0.0.1/x",
            kind="webhook",
            events=["proposal.created"],
            department_id=None,
        )
    url = "http://127.0.0.1:9/services/T000/B000/very-secret-token"
    made = service.create_channel(
        db, actor=admin, url=url, kind="slack", events=["proposal.created"], department_id=None
    )
    stored = db.get(Channel, made.channel.id)
    assert stored is not None and "very-secret-token" not in stored.url_sealed
    assert stored.url_shown == "http://127.0.0.1:9/services/…"
    hook = service.create_channel(
        db, actor=admin, url=url, kind="webhook", events=["proposal.created"], department_id=None
    )
    assert hook.secret is not None and hook.secret not in (hook.channel.secret_sealed or "")
    rotated = service.rotate_secret(db, actor=admin, channel_id=hook.channel.id or 0)
    assert rotated != hook.secret and rotated.startswith("whsec_")


def test_a_department_channel_hears_only_its_department(
    db: Session, admin: Person, leader: Person, hooks: Receiver
) -> None:
    care = factories.department(db, name="Customer Care")
    other = factories.department(db, name="Finance")
    listen(db, admin, hooks.at("/care"), event="proposal.created", department_id=care.id)
    author = factories.person(db)
    from app.proposals import service as proposal_service
    from app.proposals.schemas import ProposalCreate

    for department in (care, other):
        proposal_service.create(
            db,
            actor=author,
            data=ProposalCreate(
                title=f"For {department.name}", problem="p", change="c", department_ids=[department.id or 0]
            ),
        )
    deliver(db)
    assert [json.loads(r.body)["data"]["title"] for r in hooks.requests] == ["For Customer Care"]


def test_a_decision_reaches_the_proposers_mailbox_within_the_minute(
    db: Session, employee: Person, leader: Person, smtp: Inbox
) -> None:
    from app.notifications import digest
    from app.proposals import service as proposal_service
    from app.proposals.schemas import ProposalCreate

    digest.set_preference(db, person=employee, digest="instant")
    proposal = proposal_service.create(
        db, actor=employee, data=ProposalCreate(title="Refunds in one day", problem="p", change="c")
    )
    decisions.decide(
        db,
        actor=leader,
        proposal_id=proposal.id or 0,
        decision=Decision(status="accepted", response="Yes.", owner_team=factories.team(db).id),
    )
    assert digest.send_instant(db) == 1  # what `portal worker` does every 20 seconds
    [mail] = smtp.messages
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert mail["To"] == employee.email and "“Refunds in one day” is now accepted" in text
