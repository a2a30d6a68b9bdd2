"""Pulse rounds: open (leaders), answer once (the people invited), close, and release results.

Nothing here logs or audits an answer: opening, closing and exporting are audited (who did it),
answering is not (security.md R9). An answer is written as two unrelated rows in one transaction:
"this person answered" (pulse_participation) and "these answers were given" (pulse_ballot, later
pulse_response), so the counts always agree and nothing joins them.

Races and storage order (security.md R14). Every answer and every close takes the round's row lock
first (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already lets one writer in),
so waiting ballots are claimed by exactly one transaction: responses + waiting ballots =
participations, always. No table keeps the order of answering: the waiting ballots are rewritten in
random order with every answer; when at least k wait, they are claimed (`DELETE ... RETURNING`) and
written as responses in random order, and the round's participation rows are rewritten in random
order too, so the people who answered since the last move are no longer the last rows. Closing moves
what is left and rewrites all of the round's responses in random order, so a last batch of fewer than
k never sits apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.core import cache, db
from app.core import outbox as events
from app.core.access import PULSE_OPENERS
from app.core.config import get_settings
from app.core.db import owns_transaction
from app.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.notifications import service as notification_service
from app.people.models import Department, Person, Team
from app.pulse import release as rules
from app.pulse.items import CATALOGUE
from app.pulse.models import (
    PulseBallot,
    PulseInvitation,
    PulseItem,
    PulseParticipation,
    PulseResponse,
    PulseRound,
    random_id,
)
from app.pulse.schemas import AnswersIn, RoundCreate

OPENERS = PULSE_OPENERS
TEXT_MIN_GROUP = 10  # free-text comments need at least 10 respondents (security.md R2)
_shuffle = random.SystemRandom().shuffle


def can_open(person: Person | None) -> bool:
    return person is not None and person.role in OPENERS


def check_opener(actor: Person) -> None:
    if not can_open(actor):
        raise PermissionDenied("Only leaders and admins open and read pulse rounds.")


# --- opening and closing --------------------------------------------------------------------------


@owns_transaction
def open_round(session: Session, *, actor: Person, data: RoundCreate) -> PulseRound:
    check_opener(actor)
    round_ = launch(
        session,
        title=data.title,
        closes_on=data.closes_on,
        team_ids=data.team_ids,
        free_text=data.free_text,
        opened_by=actor,
    )
    db.commit(session)
    return round_


def invitable(session: Session, team_ids: list[int]) -> tuple[list[Team], list[Person], dict[str, str]]:
    """The teams (all when none are named), their active people, and what is wrong: a team that
    does not exist, or fewer than k people, with whom no result could ever be shown."""
    k = get_settings().min_group
    errors: dict[str, str] = {}
    teams = list(
        session.exec(select(Team).where(col(Team.id).in_(team_ids)) if team_ids else select(Team)).all()
    )
    if team_ids and len(teams) != len(set(team_ids)):
        errors["team_ids"] = "Choose existing teams."
    people = (
        list(
            session.exec(
                select(Person).where(Person.is_active, col(Person.team_id).in_([t.id for t in teams]))
            ).all()
        )
        if teams
        else []
    )
    if len(people) < k and "team_ids" not in errors:
        errors["team_ids"] = (
            f"Invite at least {k} people: with fewer, no result could ever be shown without "
            "pointing at someone."
        )
    return teams, people, errors


def launch(
    session: Session,
    *,
    title: str,
    closes_on: date,
    team_ids: list[int],
    free_text: bool,
    opened_by: Person | None,
    schedule_id: int | None = None,
) -> PulseRound:
    """Open a round in the caller's transaction (no commit): the statements and k are copied now
    and never change for it; everyone in the teams at this moment is invited (the snapshot)."""
    teams, people, errors = invitable(session, team_ids)
    ValidationFailed.unless_empty(errors)
    round_ = PulseRound(
        title=title,
        schedule_id=schedule_id,
        opened_by_id=opened_by.id if opened_by else None,
        closes_on=closes_on,
        min_group=get_settings().min_group,
        text_min_group=TEXT_MIN_GROUP,
        free_text=free_text,
    )
    session.add(round_)
    session.flush()
    assert round_.id is not None
    for position, spec in enumerate(CATALOGUE):
        session.add(PulseItem(round_id=round_.id, position=position, domain=spec.domain, text=spec.text))
    department_of = {t.id: t.department_id for t in teams}
    for person in people:
        assert person.id is not None and person.team_id is not None
        session.add(
            PulseInvitation(
                round_id=round_.id,
                person_id=person.id,
                team_id=person.team_id,
                department_id=department_of[person.team_id],
            )
        )
    audit_service.record(
        session,
        opened_by,
        "pulse.open",
        round_,
        summary=round_.title,
        details={
            "invited": len(people),
            "teams": len(teams),
            "closes_on": closes_on.isoformat(),
            **({"schedule_id": schedule_id} if schedule_id else {}),
        },
    )
    events.emit(session, "pulse.round_opened", {"round_id": round_.id})
    # The invitation: to everyone invited alike (who answers is never known, so nobody is singled out).
    notification_service.notify(
        session,
        person_ids=[p.id for p in people if p.id is not None],
        # A leader who opens a round by hand knows of it; a scheduled round invites its owner too.
        exclude=opened_by.id if opened_by and schedule_id is None else None,
        url=f"/pulse/{round_.id}",
        text=f"A team pulse is open: “{round_.title}”. Answer anonymously by {closes_on}."[:500],
    )
    return round_


def close(session: Session, *, actor: Person, round_id: int) -> PulseRound:
    check_opener(actor)
    round_ = _locked(session, round_id)
    if round_.closed_at is None:
        _close(session, round_)
        audit_service.record(session, actor, "pulse.close", round_)
        db.commit(session)
    return round_


def _close(session: Session, round_: PulseRound) -> None:
    """What still waits joins every response of the round, and all of them are written again in
    random order: never a batch of fewer than k standing apart at the end (R14)."""
    round_id = round_.id or 0
    events.emit(session, "pulse.round_closed", {"round_id": round_id})
    everything = _claim(session, PulseResponse, round_id) + _claim(session, PulseBallot, round_id)
    _write_shuffled(session, PulseResponse, everything)
    _reshuffle_participation(session, round_id)
    round_.closed_at = utcnow()
    session.add(round_)
    # Everyone asked hears that the results are out (all alike: who answered is never known).
    invited = session.exec(
        select(PulseInvitation.person_id).where(PulseInvitation.round_id == round_id)
    ).all()
    notification_service.notify(
        session,
        person_ids=invited,
        url=f"/pulse/{round_id}/results",
        text=f"The results of “{round_.title}” are out: your team's, your department's and the company's."[
            :500
        ],
    )


def close_if_due(session: Session, round_: PulseRound, *, today: date | None = None) -> None:
    """A round closes by itself after its closing date (checked whenever it is read)."""
    if round_.closed_at is None and (today or utcnow().date()) > round_.closes_on:
        round_ = _locked(session, round_.id or 0)
        if round_.closed_at is None:
            _close(session, round_)
        db.commit(session)


def is_open(round_: PulseRound, *, today: date | None = None) -> bool:
    return round_.closed_at is None and (today or utcnow().date()) <= round_.closes_on


# --- answering -----------------------------------------------------------------------------------


@owns_transaction
def answer(session: Session, *, actor: Person, round_id: int, data: AnswersIn) -> None:
    round_ = _locked(session, round_id)
    close_if_due(session, round_)
    if not is_open(round_):
        raise Conflict("This pulse round has closed; answers are no longer taken.")
    invitation = session.get(PulseInvitation, (round_id, actor.id))
    if invitation is None:
        raise PermissionDenied("This pulse round was not sent to your team.")
    item_ids = {i.id for i in items(session, round_id=round_id)}
    errors: dict[str, str] = {}
    if set(data.answers) != item_ids:
        errors["answers"] = "Answer every statement (and only those of this round)."
    elif any(not 1 <= v <= 5 for v in data.answers.values()):
        errors["answers"] = "Each answer is a whole number from 1 to 5."
    if data.comment and not round_.free_text:
        errors["comment"] = "This round takes no written comments."
    ValidationFailed.unless_empty(errors)
    session.add(PulseParticipation(round_id=round_id, person_id=actor.id or 0))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "You have already answered this round. Answers cannot be changed or looked at again, "
            "not even by you: nothing links them to you."
        ) from None
    team_id, department_id = _reporting_group(session, round_, invitation)
    waiting = _claim(session, PulseBallot, round_id)
    waiting.append(
        {
            "round_id": round_id,
            "team_id": team_id,
            "department_id": department_id,
            "answers": {str(k): v for k, v in data.answers.items()},
            "comment": data.comment,
        }
    )
    if len(waiting) >= round_.min_group:
        _write_shuffled(session, PulseResponse, waiting)
        _reshuffle_participation(session, round_id)
    else:
        _write_shuffled(session, PulseBallot, waiting)
    db.commit(session)


def _locked(session: Session, round_id: int) -> PulseRound:
    """The round, with its row locked until the transaction ends: answers and closes of one round
    happen one after another, so two of them never claim the same waiting ballots."""
    round_ = session.exec(
        select(PulseRound)
        .where(PulseRound.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if round_ is None:
        raise NotFound("There is no such pulse round.")
    return round_


def _reporting_group(
    session: Session, round_: PulseRound, invitation: PulseInvitation
) -> tuple[int | None, int | None]:
    """The smallest group this answer may ever be shown in, from the launch snapshot (R10)."""

    def invited(*where: object) -> int:
        return int(
            session.exec(
                select(func.count())
                .select_from(PulseInvitation)
                .where(PulseInvitation.round_id == round_.id, *where)  # type: ignore[arg-type]
            ).one()
        )

    return rules.reporting_group(
        team_id=invitation.team_id,
        department_id=invitation.department_id,
        team_invited=invited(PulseInvitation.team_id == invitation.team_id),
        department_invited=invited(PulseInvitation.department_id == invitation.department_id),
        k=round_.min_group,
    )


_ANSWER_COLUMNS = ("round_id", "team_id", "department_id", "answers", "comment")


def _claim(session: Session, table: type[PulseBallot] | type[PulseResponse], round_id: int) -> list[dict]:
    """Take every row of the round out of `table` in one statement (`DELETE ... RETURNING`): what
    one transaction claims, no other can claim again."""
    columns = [getattr(table, name) for name in _ANSWER_COLUMNS]
    claimed = session.execute(delete(table).where(col(table.round_id) == round_id).returning(*columns))
    return [dict(zip(_ANSWER_COLUMNS, row, strict=True)) for row in claimed.all()]


def _write_shuffled(
    session: Session, table: type[PulseBallot] | type[PulseResponse], rows: list[dict]
) -> None:
    """Write answers in random order under new random ids, so neither the ids nor the physical
    order of the rows (PostgreSQL's ctid) follow the order in which people answered."""
    if not rows:
        return
    fresh = [{**row, "id": random_id()} for row in rows]
    _shuffle(fresh)
    session.execute(insert(table), fresh)


def _reshuffle_participation(session: Session, round_id: int) -> None:
    """Rewrite the round's "who answered" rows in random order (R14): otherwise the newest rows
    would be the people whose answers were just moved, in the order they answered."""
    people = list(
        session.execute(
            delete(PulseParticipation)
            .where(col(PulseParticipation.round_id) == round_id)
            .returning(col(PulseParticipation.person_id))
        ).scalars()
    )
    _shuffle(people)
    if people:
        session.execute(insert(PulseParticipation), [{"round_id": round_id, "person_id": p} for p in people])


# --- reading -------------------------------------------------------------------------------------


def get(session: Session, *, round_id: int) -> PulseRound:
    round_ = session.get(PulseRound, round_id)
    if round_ is None:
        raise NotFound("There is no such pulse round.")
    return round_


def items(session: Session, *, round_id: int) -> list[PulseItem]:
    return list(
        session.exec(
            select(PulseItem).where(PulseItem.round_id == round_id).order_by(col(PulseItem.position))
        ).all()
    )


def rounds(session: Session) -> list[PulseRound]:
    return list(session.exec(select(PulseRound).order_by(col(PulseRound.opened_at).desc())).all())


@dataclass
class MyRound:
    round: PulseRound
    invited: bool
    answered: bool


def for_person(session: Session, *, person: Person, round_id: int) -> MyRound:
    round_ = get(session, round_id=round_id)
    close_if_due(session, round_)
    invited = session.get(PulseInvitation, (round_id, person.id)) is not None
    answered = session.get(PulseParticipation, (round_id, person.id)) is not None
    return MyRound(round=round_, invited=invited, answered=answered)


def rounds_for(session: Session, *, person: Person) -> list[MyRound]:
    """Leaders: every round; anyone else: the rounds they were invited to. Newest first, each with
    whether this person was invited and has answered (about themselves only)."""
    invited = set(
        session.exec(select(PulseInvitation.round_id).where(PulseInvitation.person_id == person.id)).all()
    )
    answered = set(
        session.exec(
            select(PulseParticipation.round_id).where(PulseParticipation.person_id == person.id)
        ).all()
    )
    everything = rounds(session)
    for round_ in everything:
        if round_.closed_at is None and not is_open(round_):
            close_if_due(session, round_)
    return [
        MyRound(round=r, invited=r.id in invited, answered=r.id in answered)
        for r in everything
        if can_open(person) or r.id in invited
    ]


def open_for(session: Session, *, person: Person) -> list[PulseRound]:
    """Open rounds this person was invited to and has not answered yet (for the home page)."""
    today = utcnow().date()
    answered = select(PulseParticipation.round_id).where(PulseParticipation.person_id == person.id)
    return list(
        session.exec(
            select(PulseRound)
            .join(PulseInvitation, col(PulseInvitation.round_id) == PulseRound.id)
            .where(
                PulseInvitation.person_id == person.id,
                col(PulseRound.closed_at).is_(None),
                col(PulseRound.closes_on) >= today,
                col(PulseRound.id).not_in(answered),
            )
            .order_by(col(PulseRound.closes_on))
        ).all()
    )


def invited_count(session: Session, *, round_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(PulseInvitation).where(PulseInvitation.round_id == round_id)
        ).one()
    )


# --- results -------------------------------------------------------------------------------------


@dataclass
class Results:
    round: PulseRound
    released: bool
    release: rules.Release | None
    items: list[PulseItem]
    # "all" for leaders (the heat map); "mine" for everyone else: their team, department, company.
    scope: str = "all"


def results(session: Session, *, actor: Person, round_id: int) -> Results:
    """Nothing while the round is open: not a count, not a mean (security.md R4, T5). Once it has
    closed, leaders read every group; anyone else reads their own team's row, their department's
    and the company's, under the same suppression (the rows the heat map shows them too), and no
    written comments: those are for the leaders the question addresses."""
    round_ = get(session, round_id=round_id)
    close_if_due(session, round_)
    round_items = items(session, round_id=round_id)
    scope = "all" if can_open(actor) else "mine"
    if round_.closed_at is None:
        return Results(round=round_, released=False, release=None, items=round_items, scope=scope)
    release = release_for(session, round_, viewer=actor, round_items=round_items)
    if scope == "mine":
        release = _only(release, own_groups(session, round_, actor))
    return Results(round=round_, released=True, release=release, items=round_items, scope=scope)


def own_groups(session: Session, round_: PulseRound, person: Person) -> frozenset[str]:
    """The groups a person may read in a round: the company, and the team and department they were
    invited in (or, if they were not invited, the ones they are in now)."""
    invitation = session.get(PulseInvitation, (round_.id, person.id))
    if invitation is not None:
        team_id, department_id = invitation.team_id, invitation.department_id
    else:
        team = session.get(Team, person.team_id) if person.team_id else None
        if team is None:
            return frozenset({rules.COMPANY})
        team_id, department_id = team.id or 0, team.department_id
    return frozenset({rules.COMPANY, f"department:{department_id}", f"team:{team_id}"})


def _only(release: rules.Release, keys: frozenset[str]) -> rules.Release:
    """The same release with only these groups: a subset of rows that were already safe together."""
    return rules.Release(
        k=release.k,
        groups=[g for g in release.groups if g.key in keys],
        distributions=release.distributions,
        comments=None,
        comments_reason="Written comments are read by the leaders the question was put to.",
    )


def release_for(
    session: Session, round_: PulseRound, *, viewer: Person | None, round_items: list[PulseItem] | None = None
) -> rules.Release:
    """A closed round's release as `viewer` may read it (every group; R13 applied for them).

    It reads every response of the round, and one page asks for several (a team's page: its trend,
    its latest result, each action's round and the next): kept per round and viewer for a minute,
    as the dashboard keeps its figures. A closed round's answers never change."""

    def compute() -> rules.Release:
        found = round_items if round_items is not None else items(session, round_id=round_.id or 0)
        return _release(session, round_, found, viewer=viewer)

    if round_.closed_at is None:
        return compute()
    key = (round_.id, viewer.id if viewer else None)
    return cache.for_session(session, "pulse-release", key, compute, tables=PULSE_TABLES, ttl=60.0)


def _known_to(session: Session, round_: PulseRound, org: rules.Org, viewer: Person | None) -> frozenset[str]:
    """The groups of this round that hold the viewer's own answer (none if they did not answer):
    the viewer knows that answer, so those groups are judged by the answers besides it (R13)."""
    if viewer is None or session.get(PulseParticipation, (round_.id, viewer.id)) is None:
        return frozenset()
    invitation = session.get(PulseInvitation, (round_.id, viewer.id))
    if invitation is None:
        return frozenset({rules.COMPANY})
    return org.groups_holding(invitation.team_id, invitation.department_id, round_.min_group)


def _release(
    session: Session, round_: PulseRound, round_items: list[PulseItem], *, viewer: Person | None
) -> rules.Release:
    invitations = session.exec(
        select(PulseInvitation.team_id, PulseInvitation.department_id).where(
            PulseInvitation.round_id == round_.id
        )
    ).all()
    invited: dict[int, int] = {}
    team_department: dict[int, int] = {}
    for team_id, department_id in invitations:
        invited[team_id] = invited.get(team_id, 0) + 1
        team_department[team_id] = department_id
    team_names = {
        t.id: t.name for t in session.exec(select(Team).where(col(Team.id).in_(list(invited)))).all()
    }
    departments = {
        d.id: d.name
        for d in session.exec(
            select(Department).where(col(Department.id).in_(set(team_department.values())))
        ).all()
        if d.id is not None
    }
    org = rules.Org(
        teams={t: (team_names.get(t, f"Team {t}"), d) for t, d in team_department.items()},
        departments=departments,
        invited=invited,
    )
    answers = [
        rules.Answer(
            team_id=r.team_id,
            department_id=r.department_id,
            values={int(k): int(v) for k, v in r.answers.items()},
            comment=r.comment,
        )
        for r in session.exec(select(PulseResponse).where(PulseResponse.round_id == round_.id)).all()
    ]
    return rules.release(
        org=org,
        answers=answers,
        items={i.id: i.domain for i in round_items if i.id is not None},
        k=round_.min_group,
        k_text=round_.text_min_group,
        free_text=round_.free_text,
        known=_known_to(session, round_, org, viewer),
    )


def trends(
    session: Session, *, actor: Person, keys: frozenset[str] | None = None
) -> dict[str, list[rules.TrendPoint]]:
    """Each group's safety over the closed rounds, oldest first (one release per round). Leaders
    read every group; `keys` narrows to some (a team member's own groups)."""
    if keys is None:
        check_opener(actor)
    closed = [r for r in reversed(rounds(session)) if r.closed_at is not None]
    released = [(r, release_for(session, r, viewer=actor)) for r in closed]
    found = {g.key for _r, rel in released for g in rel.groups}
    k = closed[-1].min_group if closed else get_settings().min_group
    return {
        key: rules.trend(
            [
                (r.id or 0, r.title, next((g for g in rel.groups if g.key == key), None))
                for r, rel in released
            ],
            k,
        )
        for key in (found if keys is None else found & keys)
    }


def latest_closed(session: Session) -> PulseRound | None:
    return session.exec(
        select(PulseRound)
        .where(col(PulseRound.closed_at).is_not(None))
        .order_by(col(PulseRound.closed_at).desc())
    ).first()


PULSE_TABLES = (
    "pulse_round",
    "pulse_item",
    "pulse_invitation",
    "pulse_participation",
    "pulse_response",
    "team",
    "department",
    "person",
)


def department_safety(
    session: Session, *, viewer: Person, fresh_seconds: float = 60.0
) -> dict[str, float | None] | None:
    """The latest closed round's safety per department (None where hidden), for the dashboard.
    It reads every response of the round: kept per viewer (what is hidden depends on what they
    know) for as long as the dashboard keeps its figures (see core.cache)."""

    def release() -> dict[str, float | None] | None:
        round_ = latest_closed(session)
        if round_ is None:
            return None
        released = release_for(session, round_, viewer=viewer)
        return {g.name: g.safety for g in released.groups if g.kind == "department"}

    return cache.for_session(
        session, "pulse-department-safety", viewer.id, release, tables=PULSE_TABLES, ttl=fresh_seconds
    )


def department_trends(
    session: Session, *, viewer: Person, fresh_seconds: float = 60.0, last: int = 6
) -> dict[str, list[rules.TrendPoint]]:
    """Each department's safety over the last closed rounds (hidden rounds as None), for the
    dashboard; kept per viewer like `department_safety`."""

    def compute() -> dict[str, list[rules.TrendPoint]]:
        names = {
            f"department:{d.id}": d.name for d in session.exec(select(Department)).all() if d.id is not None
        }
        found = trends(session, actor=viewer)
        return {names[key]: points[-last:] for key, points in found.items() if key in names}

    return cache.for_session(
        session, "pulse-department-trends", viewer.id, compute, tables=PULSE_TABLES, ttl=fresh_seconds
    )


def csv_rows(found: Results) -> list[list[object]]:
    """The released figures, suppression applied; the same as the page shows (security.md R11)."""
    rows: list[list[object]] = [["group", "kind", "measure", "value", "note"]]
    if found.release is None:
        return rows
    for g in found.release.groups:
        rows.append(
            [g.name, g.kind, "participation_percent", "" if g.participation is None else g.participation, ""]
        )
        if not g.shown or g.domains is None:
            rows.append([g.name, g.kind, "suppressed", "true", g.reason])
            continue
        for domain, mean in g.domains.items():
            rows.append([g.name, g.kind, domain, mean, ""])
    return rows


def export_rows(session: Session, *, actor: Person, round_id: int) -> list[list[object]]:
    """A round's released results as CSV rows (suppression applied); the download is audited.
    Leaders only: the export is the heat map."""
    check_opener(actor)
    rows = csv_rows(results(session, actor=actor, round_id=round_id))
    record_export(session, actor=actor, round_id=round_id)
    return rows


def record_export(session: Session, *, actor: Person, round_id: int) -> None:
    audit_service.record(session, actor, "pulse.export", entity_type="pulse_round", entity_id=round_id)
    db.commit(session)
