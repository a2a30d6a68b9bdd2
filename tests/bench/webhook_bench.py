"""`make bench` (integrations part): EVENTS events delivered to a webhook receiver on loopback by
`portal worker`, and how a page answers meanwhile.

A live portal (uvicorn, one process) and a `portal worker` run on one SQLite database. EVENTS
proposal.created events are written to the outbox at once; a webhook channel listens. The bench
reports how long until every delivery is delivered (events per second), and the latency of a
signed-in page (/proposals) before and while the worker drains.
Run: python -m tests.bench.webhook_bench --events 10000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from tests.bench.search_bench import say


def latencies(client: object, seconds: float) -> list[float]:
    import httpx

    assert isinstance(client, httpx.Client)
    found = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        started = time.perf_counter()
        assert client.get("/proposals").status_code == 200
        found.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    return found


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) >= 20 else ordered[-1]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms ({len(ordered)} requests)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    from tests.live import SECRET

    os.environ.update(
        {
            "PORTAL_DATA_DIR": str(workdir / "data"),
            "PORTAL_SECRET_KEY": SECRET,
            "PORTAL_ALLOW_PRIVATE_WEBHOOKS": "true",
        }
    )
    from app import registry  # noqa: F401  (every table)
    from app.core import outbox
    from app.core.db import _make_engine
    from app.integrations import service as integrations
    from app.integrations.models import DELIVERED, Delivery
    from app.people.models import Role
    from tests import factories
    from tests.databases import create_database, drop_database
    from tests.live import SignedIn, migrate, start
    from tests.receiver import receiver

    db_url = create_database("webhook_bench", workdir)
    migrate(db_url)
    engine = _make_engine(db_url, begin="IMMEDIATE")
    worker: subprocess.Popen[bytes] | None = None
    try:
        with receiver() as hooks, Session(engine, expire_on_commit=False) as session:
            admin = factories.person(session, role=Role.admin, email="bench-admin@corp.test")
            proposals = [factories.proposal(session, title=f"Bench proposal {n}") for n in range(20)]
            integrations.create_channel(
                session,
                actor=admin,
                url=hooks.at("/hook"),
                kind="webhook",
                events=["proposal.created"],
                department_id=None,
            )
            portal = start(workdir, db_url, env={"PORTAL_ALLOW_PRIVATE_WEBHOOKS": "true"})
            try:
                page = SignedIn(portal.url, admin.email, factories.PASSWORD).client
                before = latencies(page, 5)
                for n in range(args.events):
                    outbox.emit(session, "proposal.created", {"proposal_id": proposals[n % 20].id})
                session.commit()
                say(f"Webhook delivery: {args.events:,} events to a receiver on loopback (SQLite)")
                started = time.perf_counter()
                worker = subprocess.Popen(
                    [str(Path(sys.executable).parent / "portal"), "worker"],
                    env=portal.env,
                    stdout=subprocess.DEVNULL,
                    stderr=(workdir / "worker.log").open("w"),
                )
                during: list[float] = []
                delivered = 0
                while delivered < args.events and time.perf_counter() - started < 900:
                    during += latencies(page, 1)
                    delivered = session.exec(
                        select(func.count()).select_from(Delivery).where(Delivery.status == DELIVERED)
                    ).one()
                    session.rollback()  # this engine begins IMMEDIATE: never hold the write lock
                took = time.perf_counter() - started
                say(
                    f"  {delivered:,} delivered in {took:.1f} s: {delivered / took:,.0f} events/s "
                    f"(the receiver got {len(hooks.requests):,} requests)"
                )
                say(f"  /proposals before: {summary(before)}")
                say(f"  /proposals while delivering: {summary(during)}")
            finally:
                portal.stop(drop=False)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        engine.dispose()
        drop_database(db_url)


if __name__ == "__main__":
    main()
