"""Pulse rounds without HTTP: who may open, answer once, what is stored (T1, T5, T6)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import inspect
from sqlmodel import Session, func, select

from app.core.db import _make_engine
from app.core.errors import Conflict, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.people.models import Person, Role
from app.pulse import service as pulse_service
from app.pulse.models import PulseBallot, PulseParticipation, PulseResponse, PulseRound
from app.pulse.schemas import AnswersIn, RoundCreate
from tests import factories, live


def all_fours(db: Session, round_: PulseRound, value: int = 4) -> AnswersIn:
    return AnswersIn(answers={i.id or 0: value for i in pulse_service.items(db, round_id=round_.id or 0)})


count = func.count


def rows(db: Session, model: type) -> int:
    return int(db.exec(select(count()).select_from(model)).one())


# --- T1: the response table cannot point at a person ------------------------------------------------


def test_response_tables_have_no_person_no_time_and_random_keys(engine: object) -> None:
    inspector = inspect(engine)  # type: ignore[arg-type]
    for table in ("pulse_response", "pulse_ballot"):
        columns = [c["name"] for c in inspector.get_columns(table)]
        assert not [
            c
            for c in columns
            if any(
                w in c
                for w in ("user", "person", "email", "ip", "agent", "session", "created", "updated", "_at")
            )
        ]
        assert not [fk for fk in inspector.get_foreign_keys(table) if fk["referred_table"] == "person"]
        primary = inspector.get_pk_constraint(table)["constrained_columns"]
        id_column = next(c for c in inspector.get_columns(table) if c["name"] == primary[0])
        assert primary == ["id"] and "INT" not in str(id_column["type"]).upper()
    assert {c["name"] for c in inspector.get_columns("pulse_participation")} == {"round_id", "person_id"}


# --- opening -----------------------------------------------------------------------------------------


def test_only_leaders_and_admins_open_rounds(db: Session, employee: Person) -> None:
    team, _ = factories.team_of(db, 5)
    with pytest.raises(PermissionDenied):
        factories.opened_pulse(db, by=employee, teams=[team])


def test_a_round_for_fewer_than_k_people_is_refused(db: Session, leader: Person) -> None:
    team, _ = factories.team_of(db, 4)
    with pytest.raises(ValidationFailed, match="at least 5 people"):
        factories.opened_pulse(db, by=leader, teams=[team])
    with pytest.raises(ValidationError, match="after today"):  # refused with the other fields
        RoundCreate(title="Old", closes_on=utcnow().date(), team_ids=[team.id or 0])


def test_opening_fixes_the_thresholds_and_snapshots_the_teams(db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    assert round_.min_group == 5 and round_.text_min_group == 10
    assert len(pulse_service.items(db, round_id=round_.id or 0)) == 8
    assert pulse_service.invited_count(db, round_id=round_.id or 0) == 5
    # Someone moving team afterwards still counts where they were at launch.
    other = factories.team(db)
    people[0].team_id = other.id
    db.add(people[0])
    db.commit()
    pulse_service.answer(db, actor=people[0], round_id=round_.id or 0, data=all_fours(db, round_))
    assert db.exec(select(PulseBallot.team_id)).one() == team.id


# --- answering -----------------------------------------------------------------------------------------


def test_answer_once_then_409_without_revealing_it(db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    pulse_service.answer(db, actor=people[0], round_id=round_.id or 0, data=all_fours(db, round_))
    with pytest.raises(Conflict) as again:
        pulse_service.answer(db, actor=people[0], round_id=round_.id or 0, data=all_fours(db, round_, 1))
    assert "already answered" in again.value.message and "4" not in again.value.message
    assert rows(db, PulseParticipation) == 1 and rows(db, PulseBallot) == 1


def test_people_outside_the_round_and_bad_answers_are_refused(
    db: Session, leader: Person, employee: Person
) -> None:
    team, people = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    with pytest.raises(PermissionDenied):
        pulse_service.answer(db, actor=employee, round_id=round_.id or 0, data=all_fours(db, round_))
    partial = all_fours(db, round_)
    partial.answers.pop(next(iter(partial.answers)))
    with pytest.raises(ValidationFailed):
        pulse_service.answer(db, actor=people[0], round_id=round_.id or 0, data=partial)
    with pytest.raises(ValidationFailed):
        pulse_service.answer(db, actor=people[0], round_id=round_.id or 0, data=all_fours(db, round_, 6))
    with pytest.raises(ValidationFailed, match="no written comments"):
        data = all_fours(db, round_)
        data.comment = "hello"
        pulse_service.answer(db, actor=people[0], round_id=round_.id or 0, data=data)
    assert rows(db, PulseParticipation) == 0 and rows(db, PulseBallot) == 0


def test_a_closed_round_takes_no_answers(db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    pulse_service.close(db, actor=leader, round_id=round_.id or 0)
    with pytest.raises(Conflict, match="closed"):
        pulse_service.answer(db, actor=people[0], round_id=round_.id or 0, data=all_fours(db, round_))


def test_answers_move_to_responses_only_in_shuffled_batches_of_k(db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 7)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    for person in people[:4]:
        pulse_service.answer(db, actor=person, round_id=round_.id or 0, data=all_fours(db, round_))
    assert rows(db, PulseResponse) == 0 and rows(db, PulseBallot) == 4
    pulse_service.answer(db, actor=people[4], round_id=round_.id or 0, data=all_fours(db, round_))
    assert rows(db, PulseResponse) == 5 and rows(db, PulseBallot) == 0
    pulse_service.answer(db, actor=people[5], round_id=round_.id or 0, data=all_fours(db, round_))
    assert rows(db, PulseBallot) == 1
    pulse_service.close(db, actor=leader, round_id=round_.id or 0)  # closing empties the box
    assert rows(db, PulseResponse) == 6 and rows(db, PulseBallot) == 0
    ids = list(db.exec(select(PulseResponse.id)).all())
    assert len(set(ids)) == 6 and all(len(i) == 32 for i in ids)


# --- T5: nothing moves before release ------------------------------------------------------------


def test_results_show_nothing_while_open_and_everything_allowed_after(db: Session, leader: Person) -> None:
    team, people = factories.team_of(db, 6)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    before = pulse_service.results(db, actor=leader, round_id=round_.id or 0)
    pulse_service.answer(db, actor=people[0], round_id=round_.id or 0, data=all_fours(db, round_))
    after_one = pulse_service.results(db, actor=leader, round_id=round_.id or 0)
    assert before.release is None and after_one.release is None and not after_one.released
    for person in people[1:]:
        pulse_service.answer(db, actor=person, round_id=round_.id or 0, data=all_fours(db, round_))
    pulse_service.close(db, actor=leader, round_id=round_.id or 0)
    released = pulse_service.results(db, actor=leader, round_id=round_.id or 0)
    assert released.release is not None and released.release.group(f"team:{team.id}").safety == 4.0


def test_a_round_closes_by_itself_after_its_date(db: Session, leader: Person) -> None:
    team, _ = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    round_.closes_on = utcnow().date() - timedelta(days=1)
    db.add(round_)
    db.commit()
    assert pulse_service.results(db, actor=leader, round_id=round_.id or 0).released


# --- T6: two answers at once from one person count once --------------------------------------------


def test_simultaneous_double_answer_gives_one_participation_and_one_response(tmp_path: Path) -> None:
    db_url = live.migrated_database("pulse_t6", tmp_path)
    engine = _make_engine(db_url, begin="IMMEDIATE")
    try:
        with Session(engine, expire_on_commit=False) as setup:
            leader = factories.person(setup, role=Role.leader)
            team, people = factories.team_of(setup, 5)
            round_ = factories.opened_pulse(setup, by=leader, teams=[team])
            data = all_fours(setup, round_)
            person = people[0]
        outcomes: list[str] = []
        start = threading.Barrier(8)

        def submit() -> None:
            with Session(engine, expire_on_commit=False) as mine:
                start.wait()
                try:
                    pulse_service.answer(mine, actor=person, round_id=round_.id or 0, data=data)
                    outcomes.append("ok")
                except Conflict:
                    outcomes.append("409")

        threads = [threading.Thread(target=submit) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(outcomes) == ["409"] * 7 + ["ok"]
        with Session(engine) as check:
            assert rows(check, PulseParticipation) == 1
            assert rows(check, PulseBallot) + rows(check, PulseResponse) == 1
    finally:
        engine.dispose()
        from tests.databases import drop_database

        drop_database(db_url)
