"""What each pulse page shows (the routes render these). Everything here is already aggregated
and suppressed by the service: a page never counts fewer than the round's minimum group."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.forms import FormState
from app.people import service as people_service
from app.people.models import Department, Person, Team
from app.pulse import actions as action_service
from app.pulse import reminders
from app.pulse import schedules as schedule_service
from app.pulse import service as pulse_service
from app.pulse.items import DOMAINS, FREE_TEXT_QUESTION, QUALITIES, SCALE
from app.pulse.models import PulseInvitation, PulseRound


def index(session: Session, me: Person) -> dict[str, Any]:
    """The rounds open to the person; leaders also see every round."""
    leader = pulse_service.can_open(me)
    return {
        "mine": pulse_service.open_for(session, person=me),
        "leader": leader,
        "rounds": pulse_service.rounds(session) if leader else [],
        "is_open": pulse_service.is_open,
        **index_extras(session, me),
    }


def new_round(session: Session, form: FormState) -> dict[str, Any]:
    """The form that opens a round: the teams to invite and the minimum group it promises."""
    return {
        "values": form.values,
        "errors": form.errors,
        "teams": people_service.list_teams(session),
        "domains": DOMAINS,
        "k": get_settings().min_group,
    }


def round_(session: Session, me: Person, round_id: int, form: FormState) -> dict[str, Any]:
    """One round: its questions to answer (once), or that the person has answered."""
    mine = pulse_service.for_person(session, person=me, round_id=round_id)
    return {
        "mine": mine,
        "round": mine.round,
        "open": pulse_service.is_open(mine.round),
        "items": pulse_service.items(session, round_id=round_id),
        "domains": DOMAINS,
        "scale": SCALE,
        "free_text_question": FREE_TEXT_QUESTION,
        "leader": pulse_service.can_open(me),
        "invited": pulse_service.invited_count(session, round_id=round_id),
        "reminder_days": reminders.reminder_days(mine.round),
        "errors": form.errors,
        "values": form.values,
    }


def results(session: Session, me: Person, round_id: int) -> dict[str, Any]:
    """A closed round's released results, with the trends of earlier rounds."""
    found = pulse_service.results(session, actor=me, round_id=round_id)
    return {
        "found": found,
        "round": found.round,
        "release": found.release,
        "domains": DOMAINS,
        "scale": SCALE,
        "item_text": {i.id: i.text for i in found.items},
        "trends": (
            pulse_service.trends(
                session, actor=me, keys=None if found.scope == "all" else frozenset({"company"})
            )
            if found.released
            else {}
        ),
        "my_team_id": next(
            (
                g.key.split(":")[1]
                for g in (found.release.groups if found.release else [])
                if g.kind == "team"
            ),
            None,
        ),
    }


def index_extras(session: Session, me: Person) -> dict[str, Any]:
    """Beside the rounds: the schedules (leaders), the person's team page, and the company plan."""
    leader = pulse_service.can_open(me)
    return {
        "schedules": schedule_service.listed(session, actor=me) if leader else [],
        "cadence_labels": schedule_service.CADENCE_LABELS,
        "schedule_teams": lambda s: schedule_service.team_names(session, s),
        "my_team": session.get(Team, me.team_id) if me.team_id else None,
        "led_teams": people_service.teams_led_by(session, person=me),
    }


def new_schedule(session: Session, form: FormState) -> dict[str, Any]:
    return {
        "values": form.values,
        "errors": form.errors,
        "teams": people_service.list_teams(session),
        "cadences": schedule_service.CADENCE_LABELS,
        "k": get_settings().min_group,
    }


def team_page(session: Session, me: Person, team_id: int, form: FormState) -> dict[str, Any]:
    """A team's pulse: its latest released result beside its department's and the company's (as
    this viewer may read them), its safety over the rounds, and its actions."""
    views = action_service.for_team(session, actor=me, team_id=team_id)  # checks who may read
    team = action_service.team(session, team_id=team_id)
    department = session.get(Department, team.department_id)
    rounds = action_service.shown_rounds_for_team(session, actor=me, team_id=team_id)
    latest = _latest_asking(session, team_id)
    rows = []
    if latest is not None:
        release = pulse_service.release_for(session, latest, viewer=me)
        wanted = ["team:" + str(team_id), f"department:{team.department_id}", "company"]
        rows = [g for key in wanted for g in release.groups if g.key == key]
    trend = pulse_service.trends(session, actor=me, keys=frozenset({f"team:{team_id}"})).get(
        f"team:{team_id}", []
    )
    return {
        "team": team,
        "department": department,
        "views": views,
        "can_act": action_service.can_act(me, team),
        "rounds": rounds,
        "latest": latest,
        "rows": rows,
        "trend": trend,
        "domains": DOMAINS,
        "qualities": action_service.QUALITY_LABELS,
        "quality_domain": QUALITIES,
        "values": form.values,
        "errors": form.errors,
        "k": latest.min_group if latest else get_settings().min_group,
    }


def _latest_asking(session: Session, team_id: int) -> PulseRound | None:
    asked = select(PulseInvitation.round_id).where(PulseInvitation.team_id == team_id)
    return session.exec(
        select(PulseRound)
        .where(col(PulseRound.closed_at).is_not(None), col(PulseRound.id).in_(asked))
        .order_by(col(PulseRound.opened_at).desc())
    ).first()


def company_plan(session: Session) -> dict[str, Any]:
    return {"plans": action_service.company_plan(session), "qualities": action_service.QUALITY_LABELS}
