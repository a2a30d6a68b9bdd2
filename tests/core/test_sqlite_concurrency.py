"""SQLite under several writer processes: no 'database is locked', no lost update (security.md J1)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from app.core.db import _make_engine

PROCESSES = 4
INCREMENTS = 100


def _worker(url: str, errors: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = _make_engine(url, begin="IMMEDIATE")
    failures = 0
    for _ in range(INCREMENTS):
        try:
            with Session(engine) as session:
                value = session.execute(text("SELECT n FROM counter")).scalar_one()  # read…
                session.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})  # …modify, write
                session.commit()
        except Exception:  # noqa: BLE001  any failure counts
            failures += 1
    errors.put(failures)
    engine.dispose()


def test_concurrent_read_modify_write_from_four_processes_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'concurrency.db'}"
    engine = _make_engine(url, begin="IMMEDIATE")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    context = multiprocessing.get_context("spawn")
    errors: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    workers = [context.Process(target=_worker, args=(url, errors)) for _ in range(PROCESSES)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    failures = sum(errors.get(timeout=5) for _ in workers)
    with engine.connect() as connection:
        final = connection.execute(text("SELECT n FROM counter")).scalar_one()
    engine.dispose()
    assert failures == 0
    assert final == PROCESSES * INCREMENTS
