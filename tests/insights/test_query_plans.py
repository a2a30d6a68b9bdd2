"""The insight lists read a page from an index, whatever the table holds (issue 22): on a generated
table of 20,000 insights, with the planner's statistics gathered as an import gathers them, the
page query of the list (all kinds, and one kind) uses the list indexes and never sorts the rows it
found. On SQLite and, when the suite runs there, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import refresh_statistics
from app.insights import schemas as insight_schemas
from app.insights import service as insight_service
from app.insights.models import Insight, Kind, Status
from app.people.models import Department, Person, Role
from tests import live
from tests.databases import create_database, drop_database

ROWS = 20_000
KINDS = [Kind.feedback] * 18 + [Kind.pain_point, Kind.success_story]


@pytest.fixture
def large(tmp_path: Path) -> Iterator[tuple[Engine, Person, Department]]:
    db_url = create_database("plans", tmp_path)
    live.migrate(db_url)
    engine = create_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        person = Person(email="cx@plans.test", name="Cee Ex", handle="cx", role=Role.cx)
        small, large_one = Department(name="Legal"), Department(name="Operations")
        session.add_all([person, small, large_one])
        session.commit()
        rows = [
            {
                "id": n,
                "kind": KINDS[n % len(KINDS)].value,
                "status": (Status.archived if n % 50 == 0 else Status.published).value,
                "title": f"Insight {n}",
                "body": "",
                "quote": "",
                "product_area": "",
                "segment": "",
                "persona": "",
                "goals": "",
                "frustrations": "",
                "quotes": [],
                "author_id": person.id,
                # A department with few insights (1 in 500) and one with many.
                "department_id": small.id if n % 500 == 7 else large_one.id if n % 3 == 0 else None,
                "created_at": datetime(2026, 1 + n % 12, 1 + n % 28, 10, n % 60, tzinfo=UTC),
                "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
            for n in range(1, ROWS + 1)
        ]
        session.connection().execute(insert(Insight.__table__), rows)  # type: ignore[attr-defined]
        session.commit()
        refresh_statistics(session, "insight")
    try:
        yield engine, person, small
    finally:
        engine.dispose()
        drop_database(db_url)


def _page_query(engine: Engine, run: Any) -> tuple[str, Any]:
    """The statement (and its parameters) that fetched the page: the first with a LIMIT."""
    return _page_queries(engine, run)[0]


def _page_queries(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    """The statements (and their parameters) that fetched the page: those with a LIMIT."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    pages = [(s, p) for s, p in seen if "LIMIT" in s.upper() and "FROM insight" in s]
    assert pages, seen
    return pages


def _plan(engine: Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return " | ".join(str(r[3]) for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return " | ".join(str(r[0]) for r in rows)


@pytest.mark.parametrize("kind", [None, Kind.pain_point])
def test_a_list_page_is_read_from_the_list_index_without_a_sort(
    large: tuple[Engine, Person, Department], kind: Kind | None
) -> None:
    engine, person, _ = large
    filters = insight_schemas.ListFilters(kind=kind)
    with Session(engine, expire_on_commit=False) as session:
        statement, parameters = _page_query(
            engine, lambda: insight_service.list_insights(session, actor=person, filters=filters)
        )
        total, page = insight_service.list_insights(session, actor=person, filters=filters)
    assert len(page) == 20 and total > 0
    assert [i.created_at for i in page] == sorted((i.created_at for i in page), reverse=True)
    plan = _plan(engine, statement, parameters)
    expected = "ix_insight_kind_status_created_id" if kind else "ix_insight_status_created_id"
    assert expected in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan.split(" | ")[0:2], plan


@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_deep_page_reached_by_next_or_previous_is_read_at_its_position(
    large: tuple[Engine, Person, Department], direction: str
) -> None:
    """Next and Previous carry the position a page ends or starts at: a page deep in the list is
    read from the index there (no rows skipped by OFFSET, no sort), and it is the page OFFSET gives."""
    engine, person, _ = large
    with Session(engine, expire_on_commit=False) as session:
        by_offset = insight_schemas.ListFilters(page=400)
        _, previous = insight_service.list_insights(
            session, actor=person, filters=by_offset.model_copy(update={"page": 399})
        )
        _, wanted = insight_service.list_insights(session, actor=person, filters=by_offset)
        _, following = insight_service.list_insights(
            session, actor=person, filters=by_offset.model_copy(update={"page": 401})
        )
        cursor = insight_service.cursor_of(previous[-1] if direction == "after" else following[0])
        filters = insight_schemas.ListFilters(page=400, **{direction: cursor})
        statements = _page_queries(
            engine, lambda: insight_service.list_insights(session, actor=person, filters=filters)
        )
        _, page = insight_service.list_insights(session, actor=person, filters=filters)
    assert [i.id for i in page] == [i.id for i in wanted]
    # Two ranges of the index: the rest of the position's moment (by id), then the moments beyond.
    assert len(statements) in (1, 2), statements
    for statement, parameters in statements:
        # No rows skipped (SQLAlchemy writes OFFSET 0 with every LIMIT on SQLite).
        assert "OFFSET" not in statement.upper() or list(parameters)[-1] == 0, (statement, parameters)
        plan = _plan(engine, statement, parameters)
        assert "ix_insight_status_created_id" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan.split(" | ")[0:2], plan


def test_the_newest_for_a_department_are_read_from_its_index(
    large: tuple[Engine, Person, Department],
) -> None:
    """The home page's "new for your department", for a department with few insights among many."""
    engine, person, department = large
    with Session(engine, expire_on_commit=False) as session:
        statement, parameters = _page_query(
            engine,
            lambda: insight_service.latest(session, actor=person, department_id=department.id, limit=5),
        )
        newest = insight_service.latest(session, actor=person, department_id=department.id, limit=5)
    assert len(newest) == 5 and {i.department_id for i in newest} == {department.id}
    assert [i.created_at for i in newest] == sorted((i.created_at for i in newest), reverse=True)
    plan = _plan(engine, statement, parameters)
    assert "ix_insight_department_status_created_id" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan.split(" | ")[0:2], plan


def test_the_migration_gathered_statistics(tmp_path: Path) -> None:
    db_url = create_database("stats", tmp_path)
    live.migrate(db_url)
    engine = create_engine(db_url)
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                names = conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).all()
            assert names, "ANALYZE never ran"
    finally:
        engine.dispose()
        drop_database(db_url)
