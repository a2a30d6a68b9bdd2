"""The migrations build the schema the models describe, on SQLite and PostgreSQL, both ways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel

import app.registry  # noqa: F401
from app.core.migrate import alembic_config, include_object
from tests.databases import create_database, drop_database


@pytest.fixture
def scratch_engine(tmp_path: Path) -> Iterator[Engine]:
    url = create_database("migrations", tmp_path)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


def _upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_upgrade_head_matches_the_models_with_no_drift(scratch_engine: Engine) -> None:
    _upgrade(scratch_engine)
    with scratch_engine.connect() as connection:
        # The PostgreSQL search backend's tables are made in SQL by migration 0011, not modelled.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(scratch_engine: Engine) -> None:
    _upgrade(scratch_engine)
    _downgrade(scratch_engine, "base")
    assert set(inspect(scratch_engine).get_table_names()) <= {"alembic_version"}
    _upgrade(scratch_engine)
    assert "person" in inspect(scratch_engine).get_table_names()


def test_audit_events_cannot_be_changed_or_deleted(scratch_engine: Engine) -> None:
    _upgrade(scratch_engine)
    with scratch_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_event (action, entity_type, summary, details, created_at) "
                "VALUES ('test', 'person', 'x', '{}', CURRENT_TIMESTAMP)"
            )
        )
    for statement in ("UPDATE audit_event SET summary = 'changed'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError), scratch_engine.begin() as connection:
            connection.execute(text(statement))
    with scratch_engine.connect() as connection:
        assert connection.execute(text("SELECT summary FROM audit_event")).scalar_one() == "x"


def test_answer_tables_stay_without_rowid_after_every_migration(scratch_engine: Engine) -> None:
    """Batch migrations copy a SQLite table; the copy must keep WITHOUT ROWID, or the rows of answers
    would be stored in the order they were written (security.md R3, R14)."""
    _upgrade(scratch_engine)
    for table in ("pulse_ballot", "pulse_response"):
        columns = {c["name"]: c for c in inspect(scratch_engine).get_columns(table)}
        assert columns["team_id"]["nullable"] and columns["department_id"]["nullable"]
    if scratch_engine.dialect.name != "sqlite":
        return  # PostgreSQL has no WITHOUT ROWID; its row order is tested against ctid
    with scratch_engine.connect() as connection:
        for table in ("pulse_ballot", "pulse_response"):
            sql = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": table}
            ).scalar_one()
            assert "WITHOUT ROWID" in sql.upper(), table
