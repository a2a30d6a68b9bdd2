"""An attacker who acts and then reads everything (issue 19; security.md R13-R15).

Proposals: hypothesis draws a history of proposals (some anonymous), supports, withdrawals,
decisions and duplicate merges by random people; afterwards every person and every role reads
every proposal page, the proposal API, the CSV export and their own notifications. An anonymous
author's name may appear only where they put it themselves (a proposal they wrote by name, or a
proposal they chose to support).

Pulse: hypothesis draws organisations, the reporting group of every answer (R10) and a viewer
who may have answered anywhere (R13); whatever the viewer subtracts from what they are shown, the
answers left besides their own are none or at least k.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.core.errors import DomainError
from app.notifications.models import Notification
from app.people.models import Person, Role
from app.proposals import decisions
from app.proposals import service as proposal_service
from app.proposals.schemas import Decision, ProposalCreate
from app.pulse import release as rules
from tests import factories
from tests.browser import Browser, bearer
from tests.pulse.test_release import K, what_subtraction_isolates

PEOPLE = 4
ROLES = (Role.employee, Role.cx, Role.leader, Role.admin)

propose = st.tuples(st.just("propose"), st.integers(0, PEOPLE - 1), st.booleans())
support = st.tuples(st.just("support"), st.integers(0, PEOPLE - 1), st.integers(0, 7))
withdraw = st.tuples(st.just("withdraw"), st.integers(0, PEOPLE - 1), st.integers(0, 7))
merge = st.tuples(st.just("merge"), st.integers(0, 7), st.integers(0, 7))
answer = st.tuples(st.just("answer"), st.integers(0, 7), st.sampled_from(["under_review", "declined"]))
# A few proposals first (so merges and supports have something to work on), then anything.
histories = st.tuples(
    st.lists(propose, min_size=2, max_size=4),
    st.lists(st.one_of(propose, support, withdraw, merge, merge, answer), min_size=1, max_size=10),
).map(lambda parts: parts[0] + parts[1])


@dataclass
class World:
    people: list[Person]
    leader: Person
    proposals: list[int] = field(default_factory=list)
    author: dict[int, Person] = field(default_factory=dict)
    anonymous: dict[int, bool] = field(default_factory=dict)
    # (person id, proposal id): where a person's name may stand because they put it there, by
    # writing a proposal under their name or supporting one, or a merge carried such a name along.
    named_on: set[tuple[int, int]] = field(default_factory=set)


def act(db: Session, world: World, step: tuple[object, ...]) -> None:
    kind = step[0]
    pick = world.proposals.__getitem__
    try:
        if kind == "propose":
            person = world.people[int(step[1])]  # type: ignore[call-overload]
            n = len(world.proposals)
            data = ProposalCreate(title=f"Idea number {n}", problem="p", change="c", anonymous=bool(step[2]))
            proposal = proposal_service.create(db, actor=person, data=data)
            assert proposal.id is not None
            world.proposals.append(proposal.id)
            world.author[proposal.id], world.anonymous[proposal.id] = person, bool(step[2])
            if not proposal.is_anonymous:
                world.named_on.add((person.id or 0, proposal.id))
        elif not world.proposals:
            return
        elif kind in ("support", "withdraw"):
            person = world.people[int(step[1])]  # type: ignore[call-overload]
            pid = pick(int(step[2]) % len(world.proposals))  # type: ignore[call-overload]
            if kind == "support":
                proposal_service.support(db, actor=person, proposal_id=pid)
                if not (world.anonymous[pid] and world.author[pid].id == person.id):
                    world.named_on.add((person.id or 0, pid))  # their own anonymous one: never
            else:
                proposal_service.withdraw(db, actor=person, proposal_id=pid)
        elif kind == "merge":
            duplicate = pick(int(step[1]) % len(world.proposals))  # type: ignore[call-overload]
            original = pick(int(step[2]) % len(world.proposals))  # type: ignore[call-overload]
            decision = Decision(status="duplicate", response="The same idea.", duplicate_of=original)
            decisions.decide(db, actor=world.leader, proposal_id=duplicate, decision=decision)
            world.named_on |= {(person, original) for person, pid in world.named_on if pid == duplicate}
        else:
            pid = pick(int(step[1]) % len(world.proposals))  # type: ignore[call-overload]
            decision = Decision(status=str(step[2]), response="Looked at it.")
            decisions.decide(db, actor=world.leader, proposal_id=pid, decision=decision)
    except DomainError:
        pass  # refused (closed, a bad merge, the author's own support): refused changes nothing


def may_show(world: World, person: Person, pid: int) -> bool:
    """Whether this person's name may appear on this proposal (see `World.named_on`)."""
    return (person.id or 0, pid) in world.named_on


def secrets_of(world: World) -> list[Person]:
    """The people who wrote at least one anonymous proposal."""
    return [world.author[pid] for pid in world.proposals if world.anonymous[pid]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories)
def test_no_history_of_merges_and_supports_names_an_anonymous_author(
    db: Session, browser: Browser, history: list[tuple[object, ...]]
) -> None:
    tag = uuid.uuid4().hex[:8]
    people = [
        factories.person(db, name=f"Secret{tag}x{i}", email=f"s{tag}{i}@example.test") for i in range(PEOPLE)
    ]
    readers = [factories.person(db, name=f"Reader{tag}{r.value}", role=r) for r in ROLES]
    world = World(people=people, leader=readers[2])
    for step in history:
        act(db, world, step)
    hidden = secrets_of(world)
    if not hidden:
        return
    for reader in readers + people:
        browser.sign_in_as(reader)
        token = auth_service.create_token(db, actor=reader, owner=reader).token
        for pid in world.proposals:
            page = browser.get(f"/proposals/{pid}").text
            api = browser.client.get(f"/api/v1/proposals/{pid}", headers=bearer(token)).text
            for secret in hidden:
                if secret.id == reader.id or may_show(world, secret, pid):
                    continue
                assert secret.name not in page, (pid, secret.name, reader.name)
                assert secret.name not in api and secret.handle not in api, (pid, secret.name)
        exported = browser.get("/exports/proposals.csv")
        for line in exported.text.splitlines() if exported.status_code == 200 else []:
            for pid in world.proposals:
                if world.anonymous[pid] and f"Idea number {world.proposals.index(pid)}," in line:
                    assert world.author[pid].name not in line
        inbox = db.exec(select(Notification.text).where(Notification.person_id == reader.id)).all()
        for secret in hidden:
            if secret.id != reader.id:
                assert not [text for text in inbox if secret.name in text]


# --- pulse: the viewer who answered, reporting groups, and every difference ------------------------


@st.composite
def rounds_with_a_viewer(draw: st.DrawFn) -> tuple[rules.Org, list[rules.Answer], frozenset[str]]:
    """An organisation with invited counts per team, answers stored under their reporting group,
    and a viewer who answered in a random team (or did not answer)."""
    teams: dict[int, tuple[str, int]] = {}
    invited: dict[int, int] = {}
    for dept in range(1, draw(st.integers(1, 3)) + 1):
        for _ in range(draw(st.integers(1, 3))):
            team_id = len(teams) + 1
            teams[team_id] = (f"T{team_id}", dept)
            invited[team_id] = draw(st.integers(1, 14))
    dept_invited = {
        d: sum(n for t, n in invited.items() if teams[t][1] == d) for d in {d for _n, d in teams.values()}
    }
    answers: list[rules.Answer] = []
    stored_under: dict[int, tuple[int | None, int | None]] = {}
    for team_id, (_name, dept) in teams.items():
        group = rules.reporting_group(
            team_id=team_id,
            department_id=dept,
            team_invited=invited[team_id],
            department_invited=dept_invited[dept],
            k=K,
        )
        stored_under[team_id] = group
        for _ in range(draw(st.integers(0, invited[team_id]))):
            answers.append(rules.Answer(team_id=group[0], department_id=group[1], values={1: 3}))
    org = rules.Org(teams=teams, departments={d: f"D{d}" for d in dept_invited}, invited=invited)
    known: frozenset[str] = frozenset()
    if answers and draw(st.booleans()):
        mine = draw(st.sampled_from(answers))
        known = frozenset(rules.keys_of(mine.team_id, mine.department_id))
    return org, answers, known


@given(rounds_with_a_viewer())
def test_what_a_viewer_who_answered_can_subtract_leaves_none_or_k_others(
    case: tuple[rules.Org, list[rules.Answer], frozenset[str]],
) -> None:
    org, answers, known = case
    result = rules.release(
        org=org, answers=answers, items={1: "risk"}, k=K, k_text=10, free_text=False, known=known
    )

    def others(group: rules.Group) -> int:
        return group.responses - (1 if group.key in known else 0)

    assert what_subtraction_isolates(result, others) == []
    # A team below k never has an answer stored as its own (R10).
    for team_id, n in org.invited.items():
        if n < K:
            assert not [a for a in answers if a.team_id == team_id]
