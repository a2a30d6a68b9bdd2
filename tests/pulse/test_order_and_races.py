"""What a database administrator could read from the pulse tables, and answers given at the same
moment (security.md R10, R13, R14). Each runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from app.core.db import _make_engine
from app.people.models import Person, Role
from app.pulse import service as pulse_service
from app.pulse.models import PulseBallot, PulseParticipation, PulseResponse, PulseRound
from app.pulse.schemas import AnswersIn
from tests import factories, live
from tests.browser import Browser
from tests.databases import drop_database
from tests.pulse.test_routes import token

K = 5


def answers(db: Session, round_: PulseRound, *, comment: str = "", value: int = 4) -> AnswersIn:
    items = pulse_service.items(db, round_id=round_.id or 0)
    return AnswersIn(answers={i.id or 0: value for i in items}, comment=comment)


def count(db: Session, model: type, round_id: int) -> int:
    return int(db.exec(select(func.count()).select_from(model).where(model.round_id == round_id)).one())


def physical_order(db: Session, table: str, column: str, round_id: int) -> list[object]:
    """The rows of one round as they lie on disk: PostgreSQL's ctid; SQLite's rowid where the table
    has one, else the order of its key (WITHOUT ROWID tables are stored by key)."""
    if db.get_bind().dialect.name == "postgresql":
        order = "ORDER BY ctid"
    elif table == "pulse_participation":
        order = "ORDER BY rowid"
    else:
        order = ""  # a WITHOUT ROWID table is scanned in key order
    sql = f"SELECT {column} FROM {table} WHERE round_id = :r {order}"  # noqa: S608 (fixed names)
    return [row[0] for row in db.execute(text(sql), {"r": round_id}).all()]


@pytest.fixture
def seeded_shuffle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A seeded shuffle, so the order tests never pass or fail by chance."""
    monkeypatch.setattr(pulse_service, "_shuffle", random.Random(20261207).shuffle)


# --- R14: the order of rows does not follow the order of answering ---------------------------------


def test_neither_table_keeps_the_order_of_answering(
    db: Session, leader: Person, seeded_shuffle: None
) -> None:
    team, people = factories.team_of(db, 12)
    round_ = factories.opened_pulse(db, by=leader, teams=[team], free_text=True)
    rid = round_.id or 0
    for n, person in enumerate(people[:10]):  # two moves of five
        pulse_service.answer(db, actor=person, round_id=rid, data=answers(db, round_, comment=f"m{n:02}"))
    answered_order = [p.id for p in people[:10]]
    on_disk = physical_order(db, "pulse_participation", "person_id", rid)
    assert sorted(on_disk) == sorted(answered_order) and on_disk != answered_order
    # The second five are not the last five rows (they were, before: "the newest people").
    assert set(on_disk[5:]) != set(answered_order[5:])

    comments = physical_order(db, "pulse_response", "comment", rid)
    assert sorted(comments) == [f"m{n:02}" for n in range(10)] and comments != sorted(comments)

    for n, person in enumerate(people[10:], start=10):  # two wait: fewer than k
        pulse_service.answer(db, actor=person, round_id=rid, data=answers(db, round_, comment=f"m{n:02}"))
    assert count(db, PulseBallot, rid) == 2
    pulse_service.close(db, actor=leader, round_id=rid)
    # Closing writes all twelve again in random order: the last two do not stand apart at the end,
    # nor do the first batch's five stand together at the start.
    comments = physical_order(db, "pulse_response", "comment", rid)
    assert len(comments) == 12 and count(db, PulseBallot, rid) == 0
    assert set(comments[-2:]) != {"m10", "m11"} and set(comments[:5]) != {f"m{n:02}" for n in range(5)}
    on_disk = physical_order(db, "pulse_participation", "person_id", rid)
    assert on_disk[-2:] != [people[10].id, people[11].id]


def test_answers_of_a_team_below_k_are_kept_under_the_department_only(db: Session, leader: Person) -> None:
    """R10: a team of three (its manager included) can never be shown, so nothing in the tables marks
    three answers as that team's; they count in the department, as its people do."""
    dept = factories.department(db)
    big = factories.team(db, dept=dept)
    small = factories.team(db, dept=dept)
    big_people = [factories.person(db, in_team=big) for _ in range(6)]
    small_people = [factories.person(db, in_team=small) for _ in range(3)]
    round_ = factories.opened_pulse(db, by=leader, teams=[big, small])
    for person in big_people + small_people:
        pulse_service.answer(db, actor=person, round_id=round_.id or 0, data=answers(db, round_))
    pulse_service.close(db, actor=leader, round_id=round_.id or 0)
    stored = db.exec(select(PulseResponse.team_id, PulseResponse.department_id)).all()
    assert sorted(stored, key=str) == sorted([(big.id, dept.id)] * 6 + [(None, dept.id)] * 3, key=str)
    release = pulse_service.results(db, actor=leader, round_id=round_.id or 0).release
    assert release is not None
    assert release.group(f"department:{dept.id}").responses == 9
    assert not release.group(f"team:{small.id}").shown and release.group(f"team:{small.id}").responses == 0


def test_a_department_below_k_keeps_its_answers_under_the_company_only(db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 6)
    tiny, few = factories.team_of(db, 2)
    round_ = factories.opened_pulse(db, by=leader, teams=[team, tiny])
    for person in people + few:
        pulse_service.answer(db, actor=person, round_id=round_.id or 0, data=answers(db, round_))
    pulse_service.close(db, actor=leader, round_id=round_.id or 0)
    assert db.exec(select(func.count()).where(PulseResponse.department_id.is_(None))).one() == 2  # type: ignore[union-attr]


# --- R13: a viewer who answered is not a stranger --------------------------------------------------


def test_a_leader_who_answered_in_a_team_of_k_does_not_read_the_others_mean(db: Session) -> None:
    team, people = factories.team_of(db, K - 1)
    boss = factories.person(db, role=Role.leader, in_team=team)
    other_leader = factories.person(db, role=Role.leader)
    round_ = factories.opened_pulse(db, by=boss, teams=[team])
    for person in [*people, boss]:
        pulse_service.answer(db, actor=person, round_id=round_.id or 0, data=answers(db, round_))
    pulse_service.close(db, actor=boss, round_id=round_.id or 0)

    theirs = pulse_service.results(db, actor=boss, round_id=round_.id or 0).release
    assert theirs is not None
    for group in theirs.groups:  # team, department and company all hold exactly k, theirs included
        assert not group.shown and group.domains is None, group.key
    assert all(d.buckets is None for d in theirs.distributions)
    assert pulse_service.department_safety(db, viewer=boss) == {
        g.name: None for g in theirs.groups if g.kind == "department"
    }

    stranger = pulse_service.results(db, actor=other_leader, round_id=round_.id or 0).release
    assert stranger is not None and stranger.group(f"team:{team.id}").shown


def test_the_leaders_own_page_export_and_api_hide_the_group_too(db: Session, browser: Browser) -> None:
    team, people = factories.team_of(db, K - 1)
    boss = factories.person(db, role=Role.leader, in_team=team)
    round_ = factories.opened_pulse(db, by=boss, teams=[team])
    for person in [*people, boss]:
        pulse_service.answer(db, actor=person, round_id=round_.id or 0, data=answers(db, round_, value=2))
    pulse_service.close(db, actor=boss, round_id=round_.id or 0)
    browser.sign_in_as(boss)
    page = browser.get(f"/pulse/{round_.id}/results").text
    assert "Fewer than 5 people besides you answered" in page
    rows = list(csv.reader(io.StringIO(browser.get(f"/pulse/{round_.id}/results.csv").text)))
    assert [r[2] for r in rows[1:] if r[2] != "participation_percent"] == ["suppressed"] * 3
    api = browser.client.get(f"/api/v1/pulse/rounds/{round_.id}/results", headers=token(db, boss)).json()
    assert [(g["suppressed"], g["domains"]) for g in api["groups"]] == [(True, None)] * 3


# --- R14: several people answering at the same moment ----------------------------------------------


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of its own (committed data, real connections), SQLite or PostgreSQL."""
    db_url = live.migrated_database("pulse_races", tmp_path)
    engine = _make_engine(db_url, begin="IMMEDIATE")
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(db_url)


TRIALS = 6
AT_ONCE = 6


def test_simultaneous_answers_with_k_minus_one_waiting_never_copy_a_ballot(own_database: Engine) -> None:
    """Each trial: k-1 answers wait, then six people answer at the same instant. Whatever the
    interleaving, responses + waiting ballots = participations, and nothing is stored twice."""
    with Session(own_database, expire_on_commit=False) as setup:
        leader = factories.person(setup, role=Role.leader)
    for trial in range(TRIALS):
        rid, given = _k_minus_one_waiting_then_at_once(own_database, leader, trial)
        with Session(own_database) as check:
            stored = check.exec(select(PulseResponse.comment).where(PulseResponse.round_id == rid)).all()
            waiting = check.exec(select(PulseBallot.comment).where(PulseBallot.round_id == rid)).all()
            assert count(check, PulseParticipation, rid) == K - 1 + AT_ONCE
            assert len(stored) + len(waiting) == K - 1 + AT_ONCE, trial
            assert sorted(stored + waiting) == sorted(given), trial
            assert len(waiting) < K


def _k_minus_one_waiting_then_at_once(engine: Engine, leader: Person, trial: int) -> tuple[int, list[str]]:
    """Opens a round, lets k-1 people answer, then AT_ONCE people answer in threads released
    together. Returns the round's id and the comments given (one per person)."""
    with Session(engine, expire_on_commit=False) as setup:
        team, people = factories.team_of(setup, K - 1 + AT_ONCE)
        round_ = factories.opened_pulse(setup, by=leader, teams=[team], free_text=True)
        rid = round_.id or 0
        data = {p.id: answers(setup, round_, comment=f"t{trial}-{p.id}") for p in people}
        for person in people[: K - 1]:
            pulse_service.answer(setup, actor=person, round_id=rid, data=data[person.id])
    start = threading.Barrier(AT_ONCE)
    failures: list[BaseException] = []

    def submit(person: Person) -> None:
        with Session(engine, expire_on_commit=False) as mine:
            start.wait()
            try:
                pulse_service.answer(mine, actor=person, round_id=rid, data=data[person.id])
            except Exception as exc:  # noqa: BLE001 (reported below)
                failures.append(exc)

    threads = [threading.Thread(target=submit, args=(p,)) for p in people[K - 1 :]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    return rid, [d.comment for d in data.values()]
