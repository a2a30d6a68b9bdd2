"""No long operation holds the SQLite write lock (issue 21): a download read slowly, an import's
check pass and the search drain read on a read transaction, so every other write goes through.

The live test runs on the suite's database (SQLite or PostgreSQL); the in-process ones take a
SQLite file of their own, as the write lock they guard is SQLite's."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core import db as core_db
from app.imports import jobs
from app.imports import service as import_service
from app.insights.models import Channel
from app.people import service as people_service
from app.people.models import Person, Role
from app.people.schemas import PersonCreate
from app.search import service as search_service
from app.search.engines.whoosh import WhooshBackend
from app.search.types import SearchDoc, SearchQuery
from tests import live
from tests.imports.test_import import REVIEW_MAP
from tests.reviews import review_rows


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_a_download_that_stops_being_read_blocks_no_comment_and_no_sign_in(tmp_path: Path) -> None:
    db_url = live.migrated_database("slowexport", tmp_path)
    token = live.person_with_token(db_url, role=Role.cx, email="cx@slow.test")
    page_user = live.person_with_password(db_url, role=Role.employee, email="reader@slow.test")
    portal = live.start(tmp_path, db_url, env={"PORTAL_LIMIT_COMMENTS_PER_MINUTE": "100"})
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=portal.url, headers=headers, timeout=30) as api:
            # Long enough that the download (about 12 MB) is far larger than the socket buffers.
            rows = review_rows(4000)
            for row in rows[1:]:
                row[4] = (row[4] + " ") * (3000 // len(row[4]))
            imported = api.post(
                "/api/v1/imports/feedback",
                files={"file": ("reviews.csv", _csv(rows), "text/csv")},
                data={"mapping": '{"quote": "Review Text", "title": "Title"}', "channel": "review"},
            )
            assert imported.status_code == 200, imported.text
            target = api.post(
                "/api/v1/proposals", json={"title": "Slow readers", "problem": "p", "change": "c"}
            )
            assert target.status_code == 201
            with httpx.Client(base_url=portal.url, headers=headers, timeout=30) as slow:
                with slow.stream("GET", "/api/v1/exports/insights", params={"format": "csv"}) as download:
                    assert download.status_code == 200
                    chunks = download.iter_bytes()
                    first = next(chunks)  # then stop reading, the download stays open
                    assert first.startswith(b"id,url")
                    comments = [
                        api.post(
                            f"/api/v1/proposals/{target.json()['id']}/comments",
                            json={"body": f"Meanwhile {n}"},
                        )
                        for n in range(12)
                    ]
                    assert [c.status_code for c in comments] == [201] * 12
                    live.SignedIn(portal.url, page_user, live.PASSWORD)  # asserts the sign-in went through
                    rest = b"".join(chunks)
            assert (first + rest).count(b",/insights/") == 4000
    finally:
        portal.stop()


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Session, Session, str]]:
    """A write session and a read session on a migrated SQLite file, as the portal opens them."""
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    live.migrate(url)
    writes = core_db._make_engine(url, begin="IMMEDIATE")
    reads = core_db._make_engine(url, begin="DEFERRED")
    with (
        Session(writes, expire_on_commit=False) as session,
        Session(reads, expire_on_commit=False) as reading,
    ):
        yield session, reading, str(tmp_path / "lock.db")
    writes.dispose()
    reads.dispose()


def _another_write_goes_through(path: str) -> bool:
    """What a comment from another request does meanwhile: take the write lock (0.3 s patience)."""
    conn = sqlite3.connect(path, timeout=0.3, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def _cx_and_plan(session: Session, folder: Path, rows: int) -> tuple[Person, import_service.Plan]:
    """A CX person, and the plan to import `rows` reviews."""
    cx = people_service.create(
        session, actor=None, data=PersonCreate(email="cx@lock.test", name="Cee Ex", role=Role.cx)
    )
    upload = folder / "reviews.csv"
    upload.write_bytes(_csv(review_rows(rows)))
    return cx, import_service.plan(upload, REVIEW_MAP, channel=Channel.review)


def test_the_check_pass_of_an_import_holds_no_write_lock(
    sqlite_file: tuple[Session, Session, str], tmp_path: Path
) -> None:
    session, reading, path = sqlite_file
    cx, plan = _cx_and_plan(session, tmp_path, 2500)
    while_checking: list[bool] = []

    def progress(outcome: import_service.Outcome) -> None:
        if not outcome.writing:
            while_checking.append(_another_write_goes_through(path))

    outcome = import_service.import_file(
        session, actor=cx, plan=plan, dry_run=True, progress=progress, reading=reading
    )
    assert outcome.rows_read == 2500
    assert while_checking and all(while_checking), while_checking


class _WatchedBackend(WhooshBackend):
    """A real index that, while it writes, checks whether another write could go through."""

    def __init__(self, folder: Path, path: str) -> None:
        super().__init__(folder)
        self.path = path
        self.seen: list[bool] = []

    def apply(self, upserts: list[SearchDoc], deletes: list[str]) -> None:
        self.seen.append(_another_write_goes_through(self.path))
        super().apply(upserts, deletes)


def test_the_search_drain_writes_the_index_with_no_write_lock_held(
    sqlite_file: tuple[Session, Session, str], tmp_path: Path
) -> None:
    session, reading, path = sqlite_file
    cx, plan = _cx_and_plan(session, tmp_path, 1200)
    import_service.import_file(session, actor=cx, plan=plan, reading=reading)
    backend = _WatchedBackend(tmp_path / "index", path)
    backend.rebuild(iter([]))
    applied = search_service.drain(session, backend=backend, batch=500, reading=reading)
    assert applied >= 1200
    assert len(backend.seen) >= 3 and all(backend.seen), backend.seen
    assert backend.search(SearchQuery(text="pillow")).total > 0


def test_a_job_outcome_is_saved_even_when_the_write_lock_is_busy_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another import's write outlasting the busy timeout no longer leaves a job "checking"."""
    waits: list[float] = []
    monkeypatch.setattr(jobs.time, "sleep", waits.append)
    attempts: list[dict[str, object]] = []

    def busy_twice(writer: object, job_id: int, values: dict[str, object]) -> None:
        attempts.append(values)
        if len(attempts) <= 2:
            raise OperationalError("UPDATE import_job", {}, Exception("database is locked"))

    class Writer:
        def rollback(self) -> None: ...

    monkeypatch.setattr(jobs, "_write_state", busy_twice)
    jobs._save(Writer(), 7, status="failed", message="The disk is full.")  # type: ignore[arg-type]
    assert len(attempts) == 3 and waits == [0.5, 1.0]
    # A progress save is not waited for: the next one comes 1,000 rows later.
    attempts.clear()
    jobs._save_progress(Writer(), 7, import_service.Outcome(rows_read=1000))  # type: ignore[arg-type]
    assert len(attempts) == 1
