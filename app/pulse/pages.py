"""What each pulse page shows (the routes render these). Everything here is already aggregated
and suppressed by the service: a page never counts fewer than the round's minimum group."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.core.config import get_settings
from app.core.forms import FormState
from app.people import service as people_service
from app.people.models import Person
from app.pulse import service as pulse_service
from app.pulse.items import DOMAINS, FREE_TEXT_QUESTION, SCALE


def index(session: Session, me: Person) -> dict[str, Any]:
    """The rounds open to the person; leaders also see every round."""
    leader = pulse_service.can_open(me)
    return {
        "mine": pulse_service.open_for(session, person=me),
        "leader": leader,
        "rounds": pulse_service.rounds(session) if leader else [],
        "is_open": pulse_service.is_open,
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
        "trends": pulse_service.trends(session, actor=me) if found.released else {},
    }
