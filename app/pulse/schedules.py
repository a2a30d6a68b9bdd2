"""Pulse rounds on a schedule: monthly or quarterly, for the same teams, opened by `portal worker`
(and `portal pulse tick` at once), closed by it after their last day.

A launch is the same as a round opened by hand: the statements and k are copied into the round, and
whoever is in the teams that day is invited. A launch that finds fewer than k people in the teams
opens nothing, says why on the schedule and tells its owner; the schedule tries again next period.
A worker that was stopped for several periods opens one round, not one per missed period."""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import db
from app.core.db import owns_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.models import utcnow
from app.notifications import service as notification_service
from app.people.models import Person, Team
from app.pulse import service as pulse_service
from app.pulse.models import PulseRound, PulseSchedule
from app.pulse.schemas import ScheduleCreate

log = logging.getLogger("portal.pulse")

CADENCES: dict[str, int] = {"monthly": 1, "quarterly": 3}  # months between launches
CADENCE_LABELS = {"monthly": "Every month", "quarterly": "Every quarter"}
MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer (31 Jan -> 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def round_title(schedule: PulseSchedule, opens_on: date) -> str:
    """ "Team pulse, March 2027" or "Team pulse, Q1 2027": each launch says which period it is."""
    if schedule.cadence == "quarterly":
        period = f"Q{(opens_on.month - 1) // 3 + 1} {opens_on.year}"
    else:
        period = f"{MONTHS[opens_on.month]} {opens_on.year}"
    return f"{schedule.title}, {period}"[:120]


def closes_on(opens_on: date, open_days: int) -> date:
    """Open for `open_days` days, the opening day included (the round closes after the last)."""
    return opens_on + timedelta(days=open_days - 1)


@owns_transaction
def create(session: Session, *, actor: Person, data: ScheduleCreate) -> PulseSchedule:
    """Leaders only; refused when its teams hold fewer than k people today, as a round is."""
    pulse_service.check_opener(actor)
    errors: dict[str, str] = {}
    if data.open_days > 28 * CADENCES[data.cadence] - 1:
        errors["open_days"] = "Close each round before the next one opens."
    if data.first_opens_on < utcnow().date():
        errors["first_opens_on"] = "Choose today or a later day."
    _teams, _people, team_errors = pulse_service.invitable(session, data.team_ids)
    errors.update(team_errors)
    ValidationFailed.unless_empty(errors)
    schedule = PulseSchedule(
        title=data.title,
        cadence=data.cadence,
        team_ids=sorted(set(data.team_ids)),
        open_days=data.open_days,
        free_text=data.free_text,
        next_opens_on=data.first_opens_on,
        created_by_id=actor.id,
    )
    session.add(schedule)
    session.flush()
    audit_service.record(
        session,
        actor,
        "pulse.schedule",
        schedule,
        summary=schedule.title,
        details={"cadence": schedule.cadence, "first_opens_on": data.first_opens_on.isoformat()},
    )
    db.commit(session)
    return schedule


def stop(session: Session, *, actor: Person, schedule_id: int) -> PulseSchedule:
    """No more rounds from it; the rounds it opened stay as they are."""
    pulse_service.check_opener(actor)
    schedule = get(session, schedule_id=schedule_id)
    if schedule.stopped_at is None:
        schedule.stopped_at = utcnow()
        session.add(schedule)
        audit_service.record(session, actor, "pulse.schedule_stop", schedule, summary=schedule.title)
        db.commit(session)
    return schedule


def get(session: Session, *, schedule_id: int) -> PulseSchedule:
    schedule = session.get(PulseSchedule, schedule_id)
    if schedule is None:
        raise NotFound("There is no such pulse schedule.")
    return schedule


def listed(session: Session, *, actor: Person) -> list[PulseSchedule]:
    pulse_service.check_opener(actor)
    return list(
        session.exec(
            select(PulseSchedule).order_by(col(PulseSchedule.stopped_at).is_not(None), PulseSchedule.title)
        ).all()
    )


def team_names(session: Session, schedule: PulseSchedule) -> list[str]:
    if not schedule.team_ids:
        return []
    return sorted(session.exec(select(Team.name).where(col(Team.id).in_(schedule.team_ids))).all())


# --- the tick ------------------------------------------------------------------------------------


@dataclass
class Tick:
    opened: list[PulseRound]
    skipped: list[PulseSchedule]  # due, but their teams now hold fewer than k people
    closed: int


def tick(session: Session, *, today: date | None = None) -> Tick:
    """Open the rounds that are due, and close the rounds past their last day (releasing results)."""
    today = today or utcnow().date()
    opened: list[PulseRound] = []
    skipped: list[PulseSchedule] = []
    due = session.exec(
        select(PulseSchedule.id).where(
            col(PulseSchedule.stopped_at).is_(None), col(PulseSchedule.next_opens_on) <= today
        )
    ).all()
    for schedule_id in due:
        launched = _launch_due(session, schedule_id or 0, today)
        if isinstance(launched, PulseRound):
            opened.append(launched)
        elif isinstance(launched, PulseSchedule):
            skipped.append(launched)
    closed = 0
    for round_ in session.exec(
        select(PulseRound).where(col(PulseRound.closed_at).is_(None), col(PulseRound.closes_on) < today)
    ).all():
        pulse_service.close_if_due(session, round_, today=today)
        closed += 1
    return Tick(opened=opened, skipped=skipped, closed=closed)


def _launch_due(session: Session, schedule_id: int, today: date) -> PulseRound | PulseSchedule | None:
    """One schedule's launch in its own transaction, the schedule's row locked: two workers never
    open the same period twice."""
    schedule = session.exec(
        select(PulseSchedule)
        .where(PulseSchedule.id == schedule_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if schedule is None or schedule.stopped_at is not None or schedule.next_opens_on > today:
        db.commit(session)
        return None
    opens_on = schedule.next_opens_on
    months = CADENCES.get(schedule.cadence, 1)
    while schedule.next_opens_on <= today:  # one round for the latest period, however many were missed
        opens_on = schedule.next_opens_on
        schedule.next_opens_on = add_months(schedule.next_opens_on, months)
    owner = session.get(Person, schedule.created_by_id) if schedule.created_by_id else None
    _teams, _people, errors = pulse_service.invitable(session, schedule.team_ids)
    if errors:
        schedule.last_problem = (f"{round_title(schedule, opens_on)} was not opened: {errors['team_ids']}")[
            :300
        ]
        session.add(schedule)
        if owner is not None:
            notification_service.notify(
                session, person_ids=[owner.id or 0], url="/pulse", text=schedule.last_problem
            )
        db.commit(session)
        return schedule
    round_ = pulse_service.launch(
        session,
        title=round_title(schedule, opens_on),
        closes_on=max(closes_on(today, schedule.open_days), today),
        team_ids=schedule.team_ids,
        free_text=schedule.free_text,
        opened_by=owner if pulse_service.can_open(owner) else None,
        schedule_id=schedule.id,
    )
    schedule.last_problem = ""
    session.add(schedule)
    db.commit(session)
    return round_
