"""Creating and dropping a throw-away database for one test run (SQLite file or PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def server_url() -> str | None:
    return os.environ.get("PORTAL_TEST_DATABASE_URL") or None


def create_database(label: str, workdir: Path) -> str:
    """A new, empty database; on PostgreSQL a fresh database on the server of PORTAL_TEST_DATABASE_URL."""
    base = server_url()
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
