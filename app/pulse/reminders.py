"""Reminders of an open round, to the people invited who have not answered, twice: halfway through
the round and on the day before its last (Officevibe reminds after 3 and 5 days of 7). `portal
pulse remind` sends one now.

Who gets one is known here and nowhere else (security.md R5, R15): the list is computed from the
invitations and the participation rows inside this transaction, and it leaves only as each
person's own notification (and their e-mail, as they chose). Nothing counts or names them: no log
line, audit event, outbox event, webhook, chat message or command output carries who or how many;
the round keeps only the day its reminders went out. A person who answers after a reminder simply
finds it in their list like any other notification."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from app.core import db
from app.core.models import utcnow
from app.core.worker import RepeatingWorker
from app.notifications import service as notification_service
from app.pulse import schedules
from app.pulse.models import PulseInvitation, PulseParticipation, PulseRound

log = logging.getLogger("portal.pulse")


def halfway_day(round_: PulseRound) -> date:
    """Never the opening day itself, which has the invitation."""
    opened = round_.opened_at.date()
    return opened + timedelta(days=max(1, (round_.closes_on - opened).days // 2))


def last_reminder_day(round_: PulseRound) -> date:
    """The day before the round's last day: time enough to answer after reading it."""
    return round_.closes_on - timedelta(days=1)


def _remind(session: Session, round_: PulseRound) -> None:
    """Notify everyone invited who has not answered, in the caller's transaction. Returns nothing
    on purpose: the number of people reminded is the number who have not answered yet, a count
    that must not leave the round before it closes (security.md T5)."""
    answered = select(PulseParticipation.person_id).where(PulseParticipation.round_id == round_.id)
    waiting = session.exec(
        select(PulseInvitation.person_id).where(
            PulseInvitation.round_id == round_.id, col(PulseInvitation.person_id).not_in(answered)
        )
    ).all()
    notification_service.notify(
        session,
        person_ids=waiting,
        url=f"/pulse/{round_.id}",
        text=(
            f"Reminder: “{round_.title}” is open until {round_.closes_on:%-d %B}. "
            "If you have already answered, thank you; nothing tells us who has."
        )[:500],
    )


def due(session: Session, *, today: date | None = None) -> int:
    """Send the reminders that are due (halfway, and the day before the last day), each once per
    round. Returns how many rounds were reminded (never how many people)."""
    today = today or utcnow().date()
    now = utcnow()
    reminded = 0
    for round_ in _open_rounds(session, today):
        if round_.reminded_halfway_at is None and today >= halfway_day(round_):
            _remind(session, round_)
            round_.reminded_halfway_at = now
            # A round so short that both days coincide gets one reminder, not two on the same day.
            if today >= last_reminder_day(round_):
                round_.reminded_last_day_at = now
        elif round_.reminded_last_day_at is None and today >= last_reminder_day(round_):
            _remind(session, round_)
            round_.reminded_last_day_at = now
        else:
            continue
        session.add(round_)
        reminded += 1
    db.commit(session)
    return reminded


def now(session: Session, *, round_id: int | None = None) -> int:
    """`portal pulse remind`: remind now, for one open round or every open one. Returns how many
    rounds were reminded."""
    today = utcnow().date()
    rounds = _open_rounds(session, today)
    if round_id is not None:
        rounds = [r for r in rounds if r.id == round_id]
    for round_ in rounds:
        _remind(session, round_)
    db.commit(session)
    return len(rounds)


def _open_rounds(session: Session, today: date) -> list[PulseRound]:
    return list(
        session.exec(
            select(PulseRound).where(col(PulseRound.closed_at).is_(None), col(PulseRound.closes_on) >= today)
        ).all()
    )


def reminder_days(round_: PulseRound) -> list[tuple[str, date, datetime | None]]:
    """What a leader may read about a round's reminders: their days, and whether they went out."""
    return [
        ("Halfway", halfway_day(round_), round_.reminded_halfway_at),
        ("The day before the last day", last_reminder_day(round_), round_.reminded_last_day_at),
    ]


class PulseWorker(RepeatingWorker):
    """In `portal worker`: open the scheduled rounds that are due, close the rounds past their last
    day, send the reminders that are due. Every five minutes (rounds are counted in days)."""

    def __init__(self, interval: float = 300.0) -> None:
        super().__init__(name="pulse-cycle", interval=interval, log=log, failure_event="pulse.tick_failed")

    def step(self) -> bool:
        with db.new_session() as session:
            schedules.tick(session)
            due(session)
        return False
