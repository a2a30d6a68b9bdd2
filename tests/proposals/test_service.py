"""Proposal rules without HTTP: anonymity, support counted once, closed proposals, similar ones."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core.db import _make_engine
from app.core.errors import Conflict, ValidationFailed
from app.core.migrate import alembic_config
from app.core.models import utcnow
from app.flows import finding, proposal_list
from app.notifications import service as notification_service
from app.people.models import Person
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
from app.proposals.models import Proposal, ProposalStatus, Support
from app.proposals.schemas import ProposalCreate
from tests import factories
from tests.conftest import SearchIndex
from tests.databases import create_database, drop_database


def propose(db: Session, actor: Person, **extra: object) -> int:
    data = ProposalCreate.model_validate(
        {
            "title": "Call customers before delivery",
            "problem": "Missed deliveries",
            "change": "Drivers call 30 minutes ahead",
            **extra,
        }
    )
    proposal = proposal_service.create(db, actor=actor, data=data)
    assert proposal.id is not None
    return proposal.id


def test_anyone_can_propose_and_follows_their_proposal(db: Session, employee: Person) -> None:
    insight = factories.insight(db)
    pid = propose(db, employee, insight_ids=[insight.id])
    read = proposal_service.to_read(db, proposal_service.get(db, proposal_id=pid))
    assert (read.status, read.support_count, read.insight_ids, read.author) == (
        "new",
        0,
        [insight.id],
        employee.name,
    )
    assert notification_service.is_following(db, person=employee, target_type="proposal", target_key=str(pid))


def test_anonymous_author_is_shown_to_nobody_but_themselves(
    db: Session, employee: Person, leader: Person
) -> None:
    pid = propose(db, employee, anonymous=True)
    assert proposal_service.to_read(db, proposal_service.get(db, proposal_id=pid)).author is None
    assert proposal_service.detail(db, actor=leader, proposal_id=pid).author is None
    own = proposal_service.detail(db, actor=employee, proposal_id=pid)
    assert own.is_author and own.author is not None
    assert [p.id for p in proposal_service.mine(db, actor=employee)] == [pid]


def test_unknown_or_invisible_insights_are_refused(db: Session, employee: Person) -> None:
    from app.insights.models import Status

    archived = factories.insight(db, status=Status.archived)
    with pytest.raises(ValidationFailed) as exc:
        propose(db, employee, insight_ids=[archived.id, 999999])
    assert "insight_ids" in exc.value.errors


def test_support_counts_once_and_can_be_withdrawn(db: Session, employee: Person, cx: Person) -> None:
    pid = propose(db, employee)
    assert proposal_service.support(db, actor=cx, proposal_id=pid) == 1
    assert proposal_service.support(db, actor=cx, proposal_id=pid) == 1
    assert [p.id for p in proposal_service.supporters(db, proposal_id=pid)] == [cx.id]
    assert notification_service.is_following(db, person=cx, target_type="proposal", target_key=str(pid))
    assert proposal_service.withdraw(db, actor=cx, proposal_id=pid) == 0


def test_closed_proposals_take_no_support(db: Session, employee: Person, cx: Person) -> None:
    pid = propose(db, employee)
    proposal = proposal_service.get(db, proposal_id=pid)
    proposal.status = ProposalStatus.declined
    db.add(proposal)
    db.commit()
    with pytest.raises(Conflict):
        proposal_service.support(db, actor=cx, proposal_id=pid)


def test_similar_proposals_come_from_the_search_index(
    db: Session, employee: Person, cx: Person, search_index: SearchIndex
) -> None:
    pid = propose(db, employee, title="Evening delivery slots for working families")
    search_index.sync()
    found = finding.similar_proposals(db, actor=cx, text="Deliveries in the evening please")
    assert [p.id for p in found] == [pid]


@pytest.fixture
def scratch_engine(tmp_path: Path) -> Iterator[Engine]:
    """A database of its own: this test commits for real from many connections."""
    url = create_database("support", tmp_path)
    engine = _make_engine(url, begin="IMMEDIATE")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    yield engine
    engine.dispose()
    drop_database(url)


def test_fifty_simultaneous_supports_count_once(scratch_engine: Engine) -> None:
    """Separate connections, as on several workers: the unique constraint keeps one row."""
    with Session(scratch_engine, expire_on_commit=False) as setup:
        author = factories.person(setup, email="concurrent-author@example.test")
        backer = factories.person(setup, email="concurrent-backer@example.test")
        pid = propose(setup, author)
    errors: list[BaseException] = []
    start = threading.Barrier(50)

    def click() -> None:
        try:
            with Session(scratch_engine) as session:
                start.wait()
                proposal_service.support(session, actor=backer, proposal_id=pid)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(scratch_engine) as check:
        rows = check.exec(select(Support).where(Support.proposal_id == pid)).all()
        assert errors == [] and len(rows) == 1
        assert proposal_service.get(check, proposal_id=pid).support_count == 1


def test_decisions_reach_proposer_supporters_and_evidence_authors(
    db: Session, employee: Person, cx: Person, leader: Person
) -> None:
    insight = factories.insight(db, author=cx)
    pid = propose(db, employee, anonymous=True, insight_ids=[insight.id])
    proposal_service.support(db, actor=leader, proposal_id=pid)
    assert proposal_service.people_to_tell(db, proposal_id=pid) == {employee.id, leader.id, cx.id}


def test_trending_puts_recent_support_first(
    db: Session, employee: Person, cx: Person, leader: Person
) -> None:
    quiet = propose(db, employee, title="Quiet proposal here")
    busy = propose(db, employee, title="Busy proposal here")
    for backer in (cx, leader):
        proposal_service.support(db, actor=backer, proposal_id=busy)
    _total, ranked = proposal_list.list_proposals(db, filters=proposal_schemas.ListFilters(sort="trending"))
    assert [p.id for p in ranked] == [busy, quiet]


def test_trending_pages_rank_every_proposal_while_reading_only_the_active_and_newest(
    db: Session, employee: Person, cx: Person
) -> None:
    """Each page equals the ranking of all proposals, although the page reads only the proposals
    with support in the last four weeks and the newest quiet ones."""
    now = utcnow()
    ids = []
    for n in range(45):
        proposal = factories.proposal(db, author=employee, title=f"Proposal number {n} here")
        proposal.created_at = now - timedelta(days=3 * n + 1)  # 1 to 133 days old
        db.add(proposal)
        ids.append(proposal.id)
    for n in (40, 30, 12, 3):  # old proposals supported recently, and one supported long ago
        db.add(Support(proposal_id=ids[n], person_id=cx.id, created_at=now - timedelta(days=n % 7 + 1)))
    db.add(Support(proposal_id=ids[20], person_id=employee.id, created_at=now - timedelta(days=60)))
    db.commit()
    everything = db.exec(select(Proposal)).all()
    scores = proposal_list.trending_scores(db, everything, now=now)
    expected = [p.id for p in sorted(everything, key=lambda p: scores[p.id or 0], reverse=True)]
    seen = []
    for page in (1, 2, 3):
        filters = proposal_schemas.ListFilters(sort="trending", page=page)
        total, ranked = proposal_list.list_proposals(db, filters=filters)
        assert total == 45
        seen += [p.id for p in ranked]
    assert seen == expected
    assert set(seen[:4]) == {ids[3], ids[12], ids[30], ids[40]}  # recent support lifts old ones
