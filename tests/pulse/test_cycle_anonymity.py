"""Anonymity of the pulse cycle (security.md R5, R13, R15, extending T1-T6): the reminder list never
leaves the worker, and a team member's view never shows more than the rules allow."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEvent
from app.core.outbox import OutboxEvent
from app.integrations.models import Delivery
from app.notifications.models import Notification
from app.people.models import Person
from app.pulse import reminders
from app.pulse import service as pulse_service
from app.pulse.models import PulseRound
from app.pulse.schemas import AnswersIn
from app.search.models import SearchOutbox
from tests import factories

K = 5
SLOW = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20, deadline=None)


def count(db: Session, model: type) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def answer(db: Session, round_: PulseRound, people: list[Person], values: list[int] | None = None) -> None:
    items = pulse_service.items(db, round_id=round_.id or 0)
    for n, person in enumerate(people):
        value = values[n % len(values)] if values else 4
        pulse_service.answer(
            db,
            actor=person,
            round_id=round_.id or 0,
            data=AnswersIn(answers={i.id or 0: value for i in items}),
        )


def some_of(data: st.DataObject, people: list[Person]) -> list[Person]:
    chosen = data.draw(st.lists(st.booleans(), min_size=len(people), max_size=len(people)), label="answered")
    return [p for p, yes in zip(people, chosen, strict=True) if yes]


@SLOW
@given(sizes=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=3), data=st.data())
def test_the_reminder_list_never_leaves_the_worker(
    db: Session, leader: Person, caplog: pytest.LogCaptureFixture, sizes: list[int], data: st.DataObject
) -> None:
    teams = [factories.team_of(db, size) for size in sizes]
    people = [p for _team, members in teams for p in members]
    if len(people) < K:
        return
    factories.channel(db)  # a webhook listening to every event: anything emitted would be queued for it
    for stale in pulse_service.rounds(db):  # an earlier example's round (one that failed) stays open
        if stale.closed_at is None:
            pulse_service.close(db, actor=leader, round_id=stale.id or 0)
    round_ = factories.opened_pulse(db, by=leader, teams=[t for t, _m in teams], days=6)
    answered = some_of(data, people)
    answer(db, round_, answered)
    seen = [count(db, m) for m in (AuditEvent, OutboxEvent, SearchOutbox, Delivery)]
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        sent = reminders.due(db, today=round_.opened_at.date() + timedelta(days=3))
    # Each person not yet answered gets their own reminder, and nobody else does.
    got = set(
        db.exec(
            select(Notification.person_id).where(
                Notification.url == f"/pulse/{round_.id}", col(Notification.text).startswith("Reminder")
            )
        ).all()
    )
    assert got == {p.id for p in people} - {p.id for p in answered}
    # Nothing else anywhere tells who was reminded, or how many: no audit event, no outbox event (so
    # no webhook, chat message or search document), no delivery, no log line; the answer counts rounds.
    assert [count(db, m) for m in (AuditEvent, OutboxEvent, SearchOutbox, Delivery)] == seen
    assert [r for r in caplog.records if r.name.startswith("portal")] == []
    assert sent == 1
    db.refresh(round_)
    assert round_.reminded_halfway_at is not None


@SLOW
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=4),
    data=st.data(),
)
def test_a_member_never_reads_more_than_their_own_groups_allow(
    db: Session, leader: Person, sizes: list[int], data: st.DataObject
) -> None:
    department = factories.department(db)
    teams = [factories.team(db, dept=department) for _ in sizes]
    members = {
        t.id: [factories.person(db, in_team=t) for _ in range(n)] for t, n in zip(teams, sizes, strict=True)
    }
    everyone = [p for group in members.values() for p in group]
    if len(everyone) < K:
        return
    round_ = factories.opened_pulse(db, by=leader, teams=teams)
    answered = some_of(data, everyone)
    values = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=5), label="values")
    answer(db, round_, answered, values)
    pulse_service.close(db, actor=leader, round_id=round_.id or 0)
    viewer = data.draw(st.sampled_from(everyone), label="viewer")
    mine = pulse_service.results(db, actor=viewer, round_id=round_.id or 0).release
    theirs = pulse_service.release_for(db, round_, viewer=viewer)  # everything, as this viewer may read it
    assert mine is not None
    assert {g.key for g in mine.groups} <= {
        "company",
        f"department:{department.id}",
        f"team:{viewer.team_id}",
    }
    for group in mine.groups:
        # The same figures the complete, differencing-safe release shows this viewer (T4 covers it) ...
        full = theirs.group(group.key)
        assert (group.shown, group.domains) == (full.shown, full.domains)
        # ... and a shown group rests on k answers besides the viewer's own (R1, R13).
        if group.shown:
            own = 1 if viewer in answered else 0
            assert group.responses - own >= K
    assert mine.comments is None
