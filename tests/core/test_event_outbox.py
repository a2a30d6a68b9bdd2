"""The event outbox (app/core/outbox.py): written with the change, handled afterwards, every attempt
and failure kept; and the search outbox's failed batches recorded the same way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core import outbox
from app.core.models import aware, utcnow
from app.notifications.models import Notification
from app.people.models import Person
from app.search import service as search_service
from app.search.models import SearchOutbox
from tests import factories
from tests.conftest import SearchIndex

TOPIC = "test.greeting"


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A consumer of TOPIC that tells the person named in the event, and remembers each payload."""
    seen: list[dict[str, Any]] = []

    def greet(session: Session, payload: dict[str, Any]) -> None:
        seen.append(payload)
        session.add(Notification(person_id=payload["person_id"], text="Hello", url="/"))
        if payload.get("fail"):
            raise ConnectionError("receiver refused the connection")

    monkeypatch.setitem(outbox._consumers, TOPIC, outbox.Consumer(TOPIC, greet, max_attempts=3))
    return seen


def notes(db: Session, person: Person) -> int:
    return len(db.exec(select(Notification).where(Notification.person_id == person.id)).all())


def test_an_event_is_handled_once_after_its_change_commits(
    db: Session, employee: Person, handled: list[dict[str, Any]]
) -> None:
    outbox.emit(db, TOPIC, {"person_id": employee.id})
    db.rollback()  # the change did not happen: neither does the event
    assert outbox.drain(db) == 0
    outbox.emit(db, TOPIC, {"person_id": employee.id})
    db.commit()
    assert outbox.drain(db) == 1 and outbox.drain(db) == 0
    assert handled == [{"person_id": employee.id}] and notes(db, employee) == 1
    event = db.exec(select(outbox.OutboxEvent)).one()
    assert event.status == outbox.DONE and event.done_at is not None and event.attempts == 0


def test_a_failing_event_is_retried_later_and_then_marked_failed(
    db: Session, employee: Person, handled: list[dict[str, Any]]
) -> None:
    outbox.emit(db, TOPIC, {"person_id": employee.id, "fail": True})
    db.commit()
    assert outbox.drain(db) == 1
    event = db.exec(select(outbox.OutboxEvent)).one()
    db.refresh(event)
    assert event.status == outbox.PENDING and event.attempts == 1
    assert event.last_error == "ConnectionError: receiver refused the connection"
    wait = aware(event.next_attempt_at) - utcnow()
    assert timedelta(seconds=14) < wait < timedelta(seconds=46)  # 30 s, with jitter of ±50 %
    assert notes(db, employee) == 0  # what the failed attempt wrote was rolled back
    assert outbox.drain(db) == 0  # not due yet
    for attempt in (2, 3):
        assert outbox.drain(db, now=utcnow() + timedelta(days=1)) == 1
        db.refresh(event)
        assert event.attempts == attempt
    assert event.status == outbox.FAILED
    assert outbox.drain(db, now=utcnow() + timedelta(days=2)) == 0  # failed for good
    assert outbox.counts(db) == {"pending": 0, "failed": 1}
    assert len(handled) == 3


def test_retries_wait_about_twice_as_long_each_time() -> None:
    consumer = outbox.Consumer(TOPIC, lambda _s, _p: None, first_retry=timedelta(minutes=1))
    for attempts, base in ((1, 60), (2, 120), (5, 960)):
        delay = outbox.retry_delay(consumer, attempts).total_seconds()
        assert base * 0.5 <= delay <= base * 1.5


def test_events_nobody_consumes_are_left_alone(db: Session, employee: Person) -> None:
    outbox.emit(db, "nobody.listens", {"person_id": employee.id})
    db.commit()
    assert outbox.drain(db) == 0
    assert db.exec(select(outbox.OutboxEvent)).one().status == outbox.PENDING


def test_health_reports_waiting_and_failed_events(
    client: TestClient, db: Session, employee: Person, handled: list[dict[str, Any]]
) -> None:
    outbox.emit(db, TOPIC, {"person_id": employee.id})
    db.commit()
    assert client.get("/healthz").json()["events"] == {"pending": 1, "failed": 0}


def test_a_batch_that_cannot_be_indexed_counts_an_attempt_and_keeps_the_error(
    db: Session, cx: Person, search_index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    insight = factories.published(db, by=cx, title="Courier rang twice", quote="q", channel="survey")

    def broken(*_args: object) -> None:
        raise OSError("No space left on device")

    working = search_index.backend.apply  # type: ignore[attr-defined]
    monkeypatch.setattr(search_index.backend, "apply", broken)
    with pytest.raises(OSError):
        search_service.drain(db, backend=search_index.backend)  # type: ignore[arg-type]
    row = db.exec(select(SearchOutbox).where(SearchOutbox.entity_id == insight.id)).one()
    db.refresh(row)
    assert row.processed_at is None and row.attempts == 1
    assert row.last_error == "OSError: No space left on device"
    monkeypatch.setattr(search_index.backend, "apply", working)
    assert search_index.sync() >= 1  # the next drain indexes it
    assert [h.id for h in search_service.search(db, actor=cx, text="courier").hits] == [insight.id]
