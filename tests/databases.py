"""Creating and dropping a throw-away database for one test run (SQLite file or PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def server_url() -> str | None:
    return os.environ.get("PORTAL_TEST_DATABASE_URL") or None


def create_database(label: str, workdir: Path, *, server: str | None = None) -> str:
    """A new, empty database; on PostgreSQL a fresh database on the server of PORTAL_TEST_DATABASE_URL
    (or of `server`)."""
    base = server or server_url()
    if base is None:
        return f"sqlite:///{workdir / f'{label}.db'}"
    url = make_url(_psycopg(base))
    name = f"portal_test_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        return
    url = make_url(db_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _psycopg(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def postgres_search_backend(workdir: Path) -> Iterator[Any]:
    """A PostgresBackend on a scratch PostgreSQL database, migrated; dropped afterwards. The server
    is PORTAL_TEST_DATABASE_URL's, or the local one; without one the test is skipped locally and
    fails in CI (where PostgreSQL always runs)."""
    import pytest

    from app.core.migrate import alembic_config
    from app.search.engines.postgres import PostgresBackend

    base = server_url() or DEFAULT_POSTGRES
    try:
        admin = create_engine(make_url(_psycopg(base)).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        message = f"no PostgreSQL server at {base} for the PostgreSQL search backend: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    db_url = create_database("search", workdir, server=base)
    engine = create_engine(db_url)
    try:
        from alembic import command

        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        yield PostgresBackend(engine)
    finally:
        engine.dispose()
        drop_database(db_url)
