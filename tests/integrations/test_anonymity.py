"""No webhook body, Slack message or Teams card names the author of an anonymous proposal, and none
carries anything of a pulse answer: over every event about such a proposal and every kind of
channel, with the author's name, e-mail and handle drawn by hypothesis."""

from __future__ import annotations

import itertools
import json
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from app.comments import service as comment_service
from app.comments.schemas import CommentIn
from app.core.models import utcnow
from app.integrations import messages
from app.integrations.events import BUILDERS, EVENT_TYPES
from app.integrations.models import ChannelKind
from app.notifications.models import Notification
from app.people.models import Person
from app.proposals import decisions
from app.proposals import service as proposal_service
from app.proposals.models import ProposalResponse
from app.proposals.schemas import Decision, ProposalCreate
from app.pulse.models import PulseRound
from tests import factories

KINDS = [k.value for k in ChannelKind]
SEQUENCE = itertools.count(1)  # hypothesis may draw a name twice; e-mails and handles stay unique
NAMES = st.text(alphabet=string.ascii_letters, min_size=4, max_size=16).map(lambda s: "Zq" + s)


def bodies(db: Session, event: str, payload: dict[str, Any]) -> list[str]:
    happening = BUILDERS[event](db, payload)
    assert happening is not None, event
    return [json.dumps(messages.body(kind, happening, utcnow()), ensure_ascii=False) for kind in KINDS]


def assert_nothing_of(person: Person, text: str) -> None:
    for said in (person.name, person.email, person.handle):
        assert said.lower() not in text.lower(), (said, text)
    for key in ('"author_id"', '"person_id"', '"email"', '"handle"'):
        assert key not in text


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25, deadline=None)
@given(name=NAMES, decision=st.sampled_from(["under_review", "accepted", "declined", "duplicate"]))
def test_no_message_of_any_kind_names_the_author_of_an_anonymous_proposal(
    db: Session, leader: Person, name: str, decision: str
) -> None:
    author = factories.person(db, name=name, email=f"{name.lower()}{next(SEQUENCE)}@anon.test")
    department = factories.department(db)
    proposal = proposal_service.create(
        db,
        actor=author,
        data=ProposalCreate(
            title="Fewer handovers",
            problem="p",
            change="c",
            anonymous=True,
            department_ids=[department.id or 0],
        ),
    )
    original = factories.proposal(db, title="The original")
    comment = comment_service.add(
        db,
        actor=author,
        target_type="proposal",
        target_id=proposal.id or 0,
        data=CommentIn(body="More detail from me.", confirm_named=True),
    )
    chosen = Decision(
        status=decision,
        response="Thank you.",
        owner_team=factories.team(db).id if decision == "accepted" else None,
        duplicate_of=original.id if decision == "duplicate" else None,
    )
    decisions.decide(db, actor=leader, proposal_id=proposal.id or 0, decision=chosen)
    response = db.exec(select(ProposalResponse).where(ProposalResponse.proposal_id == proposal.id)).one()
    said = [
        *bodies(db, "proposal.created", {"proposal_id": proposal.id}),
        *bodies(db, "comment.created", {"comment_id": comment.id}),
        *bodies(db, "proposal.decided", {"proposal_id": proposal.id, "response_id": response.id}),
    ]
    if decision == "duplicate":
        said += bodies(db, "proposal.merged", {"proposal_id": proposal.id, "original_id": original.id})
    # ... nor does any notification others get, which e-mail carries on (the leaders' included).
    said += db.exec(select(Notification.text).where(Notification.person_id != author.id)).all()
    for text in said:
        assert_nothing_of(author, text)


def test_a_pulse_rounds_messages_carry_the_round_and_nothing_of_its_answers(
    db: Session, leader: Person
) -> None:
    team = factories.team(db)
    people = [factories.person(db, in_team=team) for _ in range(6)]
    round_ = factories.pulse_round(db, title="Autumn pulse", invite=people)
    assert isinstance(round_, PulseRound)
    for event in ("pulse.round_opened", "pulse.round_closed"):
        happening = BUILDERS[event](db, {"round_id": round_.id})
        assert happening is not None
        assert set(happening.data) == {"id", "title", "url", "closes_on"}
        for kind in KINDS:
            text = json.dumps(messages.body(kind, happening, utcnow()))
            for person in people:
                assert_nothing_of(person, text)
    assert set(BUILDERS) == set(EVENT_TYPES)
