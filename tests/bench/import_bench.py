"""`make bench` (import part): 100,000 rows of feedback built from the shared review data.

Measures, on SQLite in a scratch folder: the time until the import is acknowledged (every row
checked, then written in one transaction), the same rows written with raw sqlite3 executemany
into an empty copy of the same schema in the same run (the reference), the peak memory of the
process, and the time until the search index finds the last imported row (the drainer applying the
outbox, up to 90 s).
Run: python -m tests.bench.import_bench --rows 100000 --backend whoosh
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.search_bench import load_reviews, say

SEARCHABLE_WITHIN = 90.0


# The portal's fields for the columns build_file writes.
REVIEW_MAPPING = {
    "external_id": "Reference",
    "title": "Title",
    "quote": "Review Text",
    "score": "Rating",
    "product_area": "Department Name",
    "tags": "Class Name",
}


def build_file(path: Path, rows: int) -> None:
    """The shared reviews, repeated until `rows`, each with its own reference."""
    reviews = load_reviews()  # says where the data should be, and how to point at it, if missing
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Reference", "Title", "Review Text", "Rating", "Department Name", "Class Name"])
        for n in range(rows):
            r = reviews[n % len(reviews)]
            writer.writerow(
                [f"R{n}", r["Title"], r["Review Text"], r["Rating"], r["Department Name"], r["Class Name"]]
            )


def raw_executemany(database: Path, workdir: Path) -> tuple[float, float]:
    """The reference: the very rows the import wrote (insights, their tag links, their outbox
    rows), written again with sqlite3 executemany into an empty copy of the same schema (same
    indexes), in one transaction. Returns (all three tables, the insight table alone) in seconds."""
    source = sqlite3.connect(database)
    schema = [
        sql
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL"
            " AND name NOT LIKE 'sqlite_%' ORDER BY type DESC"
        )
    ]
    tables = {name: source.execute(f"SELECT * FROM {name}").fetchall() for name in ("insight", "insight_tag")}
    tables["search_outbox"] = source.execute(
        "SELECT * FROM search_outbox WHERE entity_type = 'insight'"
    ).fetchall()
    source.close()
    target = sqlite3.connect(workdir / "raw.db", isolation_level=None)
    for sql in schema:
        target.execute(sql)
    started = time.perf_counter()
    target.execute("BEGIN")
    insight_time = 0.0
    for name, rows in tables.items():
        marks = ", ".join("?" * len(rows[0]))
        began = time.perf_counter()
        target.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
        if name == "insight":
            insight_time = time.perf_counter() - began
    target.execute("COMMIT")
    elapsed = time.perf_counter() - started
    target.close()
    return elapsed, insight_time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backend", default="whoosh")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="portal-import-bench-"))
    os.environ.update(
        PORTAL_DATA_DIR=str(workdir / "data"),
        PORTAL_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        PORTAL_SEARCH_BACKEND=args.backend,
        PORTAL_SECRET_KEY="bench-secret-key-long-enough-0123456789abc",
        PORTAL_INDEX_DRAINER="false",
    )
    from app import registry  # noqa: F401  (every searchable record handed to search)
    from app.core import migrate
    from app.core.db import new_session
    from app.imports import service as import_service
    from app.insights.models import Channel
    from app.limits import service as write_limits
    from app.people import service as people_service
    from app.people.models import Role
    from app.people.schemas import PersonCreate
    from app.search import service as search_service
    from app.search.types import SearchQuery

    migrate.upgrade()
    source = workdir / "feedback.csv"
    build_file(source, args.rows)
    with new_session() as session:
        actor = people_service.create(
            session, actor=None, data=PersonCreate(email="bench@example.com", name="Bench", role=Role.cx)
        )
    mapping = REVIEW_MAPPING
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with new_session() as session, write_limits.bypass():
        started = time.perf_counter()
        plan = import_service.plan(source, mapping, channel=Channel.review)
        kept = import_service.checked_rows_path(plan)
        outcome = import_service.check(session, actor=actor, plan=plan, keep=kept)
        checked = time.perf_counter()
        session.rollback()
        imported, _ = import_service.write(
            session,
            actor=actor,
            plan=plan,
            scale=outcome.score_scale,
            checked=kept,  # type: ignore[arg-type]
        )
        acknowledged = time.perf_counter()
        kept.unlink()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with source.open(encoding="utf-8", newline="") as f:
        last_quote = list(csv.reader(f))[-1][2].split()[:3]
    raw, raw_insights = raw_executemany(workdir / "bench.db", workdir)
    write_time = acknowledged - checked
    started_index = time.perf_counter()
    searchable = None
    backend = search_service.get_backend()
    with new_session() as session:
        while time.perf_counter() - started_index < SEARCHABLE_WITHIN:
            search_service.drain(session, backend=backend, batch=2000)
            if search_service.outbox.backlog(session) == 0:
                searchable = time.perf_counter() - started_index
                break
        backlog = search_service.outbox.backlog(session)
    found = backend.search(SearchQuery(text=" ".join(last_quote), per_page=5)).total if searchable else 0
    say(f"rows {imported:,} ({args.rows:,} in the file), backend {args.backend}")
    say(f"acknowledged in {acknowledged - started:.2f} s")
    say(f"  check {checked - started:.2f} s, write {write_time:.2f} s")
    say(
        f"raw sqlite3 executemany of the same rows into the same schema: {raw:.2f} s"
        f" (the insight table alone {raw_insights:.2f} s)"
    )
    whole = acknowledged - started
    say(f"  import at {raw / whole:.2f}x raw; its write phase at {raw / write_time:.2f}x raw")
    say(f"peak RSS {rss_peak:.0f} MB (before the import {rss_before:.0f} MB)")
    if searchable is None:
        say(f"NOT searchable within {SEARCHABLE_WITHIN:.0f} s: {backlog:,} rows still queued")
    else:
        say(f"all searchable after {searchable:.1f} s (last row's words: {found} hits)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
