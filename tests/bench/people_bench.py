"""`make bench` (people part): the org chart of a company of PEOPLE imported in one transaction.

A fictional company (departments of 8 teams, teams of 10, each team's first person the others'
manager) written to a CSV, imported through the service as an admin would, then imported again
(every row unchanged). On SQLite, and on PostgreSQL when PORTAL_TEST_DATABASE_URL (or --postgres)
names a server.
Run: python -m tests.bench.people_bench --people 2000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from tests.bench.search_bench import say


def company(people: int, path: Path) -> None:
    lines = ["email,name,department,team,role,manager_email"]
    for n in range(people):
        team, department = n // 10, n // 80
        lead = team * 10
        manager = f"person{lead}@corp.test" if n != lead else ""
        role = "leader" if n == lead else "employee"
        lines.append(f"person{n}@corp.test,Person {n},Division {department},Depot {team},{role},{manager}")
    path.write_text("\n".join(lines) + "\n")


def run(db_url: str, people: int, workdir: Path) -> None:
    from app import registry  # noqa: F401  (every table)
    from app.core.db import _make_engine
    from app.imports.people import import_people
    from app.people.models import Role
    from tests import factories

    file = workdir / "people.csv"
    company(people, file)
    engine = _make_engine(db_url, begin="IMMEDIATE")
    with Session(engine, expire_on_commit=False) as session:
        admin = factories.person(session, role=Role.admin)
        for label in ("first import", "same file again"):
            started = time.perf_counter()
            outcome = import_people(session, actor=admin, path=file)
            took = time.perf_counter() - started
            say(
                f"  {label}: {took:.2f} s ({outcome.created:,} created, {outcome.updated:,} updated, "
                f"{outcome.unchanged:,} unchanged)"
            )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="people-bench-"))
    os.environ.setdefault("PORTAL_DATA_DIR", str(workdir / "data"))
    from tests.databases import create_database, drop_database
    from tests.live import migrate

    servers = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
    say(f"People import: a company of {args.people:,} in one file, all in one transaction")
    for label, server in servers:
        db_url = create_database("people_bench", workdir, server=server)
        try:
            migrate(db_url)
            say(f"{label}:")
            run(db_url, args.people, workdir)
        finally:
            drop_database(db_url)


if __name__ == "__main__":
    main()
