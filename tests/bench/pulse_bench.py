"""`make bench` (pulse part): what the anonymity of answers costs when a whole company answers.

Opens one round for PEOPLE people in teams of 8 and lets every one of them answer through the
service, one after another, then closes it. Each answer takes the round's lock, rewrites the
waiting answers in random order and, every k answers, moves them and rewrites the round's
participation rows in random order (security.md R14), so its cost grows with the number who have
answered: this measures how much. Fictional people, no shared data. Runs on SQLite, and on
PostgreSQL when PORTAL_TEST_DATABASE_URL (or --postgres) names a server.
Run: python -m tests.bench.pulse_bench --people 2000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from tests.bench.search_bench import percentile, say


def run(db_url: str, people: int) -> None:
    from app.core.db import _make_engine
    from app.people.models import Role
    from app.pulse import schemas as pulse_schemas
    from app.pulse import service as pulse_service
    from tests import factories

    engine = _make_engine(db_url, begin="IMMEDIATE")
    with Session(engine, expire_on_commit=False) as session:
        leader = factories.person(session, role=Role.leader)
        teams, everyone = [], []
        while len(everyone) < people:
            team, members = factories.team_of(session, min(8, people - len(everyone)))
            teams.append(team)
            everyone += members
        round_ = factories.opened_pulse(session, by=leader, teams=teams, days=7)
        items = pulse_service.items(session, round_id=round_.id or 0)
        data = pulse_schemas.AnswersIn(answers={i.id or 0: 4 for i in items})
        timings: list[float] = []
        started = time.perf_counter()
        for person in everyone:
            t0 = time.perf_counter()
            pulse_service.answer(session, actor=person, round_id=round_.id or 0, data=data)
            timings.append((time.perf_counter() - t0) * 1000)
        total = time.perf_counter() - started
        t0 = time.perf_counter()
        pulse_service.close(session, actor=leader, round_id=round_.id or 0)
        closing = (time.perf_counter() - t0) * 1000
    engine.dispose()
    last = timings[-max(1, len(timings) // 10) :]
    say(
        f"  {people} answers in {total:.1f} s; per answer p50 {percentile(timings, 50):.1f} ms, "
        f"p95 {percentile(timings, 95):.1f} ms, max {max(timings):.1f} ms; the last tenth p50 "
        f"{percentile(last, 50):.1f} ms; closing {closing:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    os.environ.setdefault("PORTAL_DATA_DIR", str(workdir / "data"))
    from tests.databases import create_database, drop_database
    from tests.live import migrate

    servers = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
    say(f"Pulse: one round, {args.people} people answering one after another")
    for label, server in servers:
        db_url = create_database("pulse_bench", workdir, server=server)
        try:
            migrate(db_url)
            say(f"{label}:")
            run(db_url, args.people)
        finally:
            drop_database(db_url)


if __name__ == "__main__":
    main()
