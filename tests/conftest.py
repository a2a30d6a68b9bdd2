"""Test set-up: one database per run (SQLite, or PostgreSQL when PORTAL_TEST_DATABASE_URL is set),
migrated once with Alembic; every test runs inside a transaction that is rolled back afterwards."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The settings must be in the environment before the app is imported (Dispatch does the same).
_WORKDIR = Path(tempfile.mkdtemp(prefix="portal-tests-"))
os.environ["PORTAL_DATA_DIR"] = str(_WORKDIR / "data")
os.environ["PORTAL_SECRET_KEY"] = "test-secret-key-that-is-long-enough-0123456789"
os.environ.pop("PORTAL_DATABASE_URL", None)
os.environ.pop("PORTAL_AUTH_MODE", None)
os.environ["PORTAL_INDEX_DRAINER"] = "false"  # tests drain the search outbox themselves
os.environ["PORTAL_IMPORT_RUNNER"] = "false"  # ... and run import jobs themselves

from tests.databases import create_database, drop_database  # noqa: E402

_DB_URL = create_database("main", _WORKDIR)
os.environ["PORTAL_DATABASE_URL"] = _DB_URL

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core import cache  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import get_engine  # noqa: E402
from app.main import app  # noqa: E402
from app.people.models import Person, Role  # noqa: E402
from app.web.deps import get_read_session, get_session  # noqa: E402
from tests import factories  # noqa: E402
from tests.browser import Browser  # noqa: E402
from tests.mailbox import smtp  # noqa: E402, F401  (a real SMTP server on loopback, for any test)

settings.register_profile(
    "ci", max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    from app.core import migrate

    migrate.upgrade()
    yield get_engine()
    get_engine().dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    get_engine().dispose()
    drop_database(_DB_URL)
    shutil.rmtree(_WORKDIR, ignore_errors=True)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a SAVEPOINT inside one transaction rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def client(db: Session) -> Iterator[TestClient]:
    app.dependency_overrides[get_session] = lambda: db
    app.dependency_overrides[get_read_session] = lambda: db
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client
    app.dependency_overrides.clear()


@pytest.fixture
def browser(client: TestClient, db: Session) -> Browser:
    return Browser(client, db)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()
    cache.clear()  # figures kept for a test's database belong to that test


# --- named people, one per role (Fider's personas) ---------------------------------------------------


def _named_person(name: str, email: str, role: Role) -> Any:
    @pytest.fixture
    def named(db: Session) -> Person:
        return factories.person(db, name=name, email=email, role=role)

    return named


employee = _named_person("Erin Employee", "erin@example.test", Role.employee)
cx = _named_person("Cass Cx", "cass@example.test", Role.cx)
leader = _named_person("Leo Leader", "leo@example.test", Role.leader)
admin = _named_person("Ada Admin", "ada@example.test", Role.admin)


@pytest.fixture
def personas(employee: Person, cx: Person, leader: Person, admin: Person) -> dict[str, Person]:
    return {"employee": employee, "cx": cx, "leader": leader, "admin": admin}


@pytest.fixture
def search_index(db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SearchIndex]:
    """A fresh index for one test; `.sync()` drains the outbox the way the app's drainer does."""
    from app.search import service as search_service
    from app.search.engines.whoosh import WhooshBackend

    backend = WhooshBackend(tmp_path / "search_index")
    monkeypatch.setattr(search_service, "get_backend", lambda: backend)
    index = SearchIndex(backend=backend, db=db)
    index.sync()
    yield index


class SearchIndex:
    def __init__(self, backend: object, db: Session) -> None:
        self.backend = backend
        self.db = db

    def sync(self) -> int:
        """Index what changed, then handle the events that follow (saved-search alerts), as the
        drainer does; returns how many search outbox rows were applied."""
        from app.core import outbox
        from app.search import service as search_service

        applied = search_service.drain(self.db, backend=self.backend)  # type: ignore[arg-type]
        outbox.drain(self.db)
        return applied
