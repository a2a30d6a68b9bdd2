"""`make bench` (mixed load): does anything long hold up the writes people make meanwhile?

On SQLite and on PostgreSQL, a portal as deployed (`portal serve --workers 2`, with its worker)
holding ROWS insights takes at the same time: an API import of ROWS more rows, an API dry run of
them, two exports read slowly by their clients, the search drain of everything imported, and
WRITERS people each posting a comment every half second. Reports the writes refused (the
goal is 0) and the write latency (p50, p95, max), and how long the long operations took.
Run: python -m tests.bench.mixed_bench --rows 50000 --writers 20 --postgres postgresql://...
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.bench.import_bench import build_file
from tests.bench.search_bench import say

CAP = 300.0  # seconds for the mixed phase at most


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


def _import(url: str, token: str, path: Path, *, dry_run: bool, took: dict[str, object], key: str) -> None:
    started = time.monotonic()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=900) as api:
        with path.open("rb") as fh:
            answer = api.post(
                "/api/v1/imports/feedback",
                files={"file": (path.name, fh, "text/csv")},
                data={
                    "mapping": '{"quote": "Review Text", "title": "Title", "external_id": "Reference"}',
                    "channel": "review",
                    "dry_run": "true" if dry_run else "false",
                },
            )
    took[key] = (answer.status_code, time.monotonic() - started)


def _slow_export(url: str, token: str, took: dict[str, object], key: str) -> None:
    started = time.monotonic()
    size = 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=900) as api:
        with api.stream("GET", "/api/v1/exports/insights", params={"format": "csv"}) as download:
            for chunk in download.iter_bytes(64 * 1024):
                size += len(chunk)
                time.sleep(0.05)  # a client on a slow link
    took[key] = (size, time.monotonic() - started)


def run(label: str, db_url: str, workdir: Path, rows: int, writers: int, backend: str) -> None:
    from app.people.models import Role
    from tests import live

    live.migrate(db_url)
    cx = live.person_with_token(db_url, role=Role.cx, email="cx@mixed.bench")
    tokens = [
        live.person_with_token(db_url, role=Role.employee, email=f"w{n}@mixed.bench") for n in range(writers)
    ]
    seed, more = workdir / "seed.csv", workdir / "more.csv"
    build_file(seed, rows)
    build_file(more, rows)
    more.write_text(
        more.read_text(encoding="utf-8").replace("\nR", "\nM"), encoding="utf-8"
    )  # other references
    home = workdir / label
    home.mkdir()
    limits = {
        "PORTAL_LIMIT_COMMENTS_PER_MINUTE": "100000",
        "PORTAL_LIMIT_COMMENTS_PER_HOUR": "100000",
        "PORTAL_SEARCH_BACKEND": backend,
    }
    portal = live.start(home, db_url, serve=True, workers=2, env=limits, timeout=90)
    try:
        took: dict[str, object] = {}
        _import(portal.url, cx, seed, dry_run=False, took=took, key="seed")
        with httpx.Client(base_url=portal.url, headers={"Authorization": f"Bearer {cx}"}) as api:
            target = api.post(
                "/api/v1/proposals", json={"title": "Mixed load", "problem": "p", "change": "c"}
            ).json()
            while api.get("/healthz").json().get("search_backlog"):
                time.sleep(1)  # start from a drained index
        latencies: list[float] = []
        refused: dict[int, int] = {}
        done = threading.Event()
        lock = threading.Lock()

        def write(token: str) -> None:
            with httpx.Client(
                base_url=portal.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as api:
                n = 0
                while not done.is_set():
                    n += 1
                    started = time.monotonic()
                    try:
                        status = api.post(
                            f"/api/v1/proposals/{target['id']}/comments", json={"body": f"Note {n}"}
                        ).status_code
                    except httpx.HTTPError:
                        status = 0
                    with lock:
                        latencies.append((time.monotonic() - started) * 1000)
                        if status != 201:
                            refused[status] = refused.get(status, 0) + 1
                    time.sleep(0.5)

        long_ones = [
            threading.Thread(
                target=_import,
                args=(portal.url, cx, more),
                kwargs={"dry_run": False, "took": took, "key": "import"},
            ),
            threading.Thread(
                target=_import,
                args=(portal.url, cx, more),
                kwargs={"dry_run": True, "took": took, "key": "dry run"},
            ),
            threading.Thread(target=_slow_export, args=(portal.url, cx, took, "export 1")),
            threading.Thread(target=_slow_export, args=(portal.url, cx, took, "export 2")),
        ]
        people = [threading.Thread(target=write, args=(t,)) for t in tokens]
        started = time.monotonic()
        for thread in [*long_ones, *people]:
            thread.start()
        for thread in long_ones:
            thread.join(timeout=CAP)
        with httpx.Client(base_url=portal.url) as probe:
            while time.monotonic() - started < CAP and probe.get("/healthz").json().get("search_backlog"):
                time.sleep(0.5)
        took["drained after"] = time.monotonic() - started
        done.set()
        for thread in people:
            thread.join(timeout=60)
    finally:
        portal.stop(drop=False)
    total = len(latencies)
    say(
        f"{label}: {total} writes by {writers} people over {took['drained after']:.0f} s; "
        f"refused {sum(refused.values())} {dict(sorted(refused.items())) if refused else ''}; "
        f"write p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
        f"max {max(latencies, default=0):.0f} ms (mean {statistics.fmean(latencies) if latencies else 0:.0f})"
    )
    for key in ("import", "dry run", "export 1", "export 2"):
        value = took.get(key)
        if isinstance(value, tuple):
            first, seconds = value
            what = f"HTTP {first}" if key in ("import", "dry run") else f"{first / 1e6:.1f} MB"
            say(f"  {key}: {what} in {seconds:.1f} s")
    say(f"  search backlog empty {took['drained after']:.0f} s after the start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL", ""))
    parser.add_argument(
        "--backend", default="tantivy", help="the search engine (whoosh takes minutes to drain 50k)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mixed-bench-"))
    from tests.databases import create_database, drop_database

    say(
        f"Mixed load: {args.rows:,} insights held; an import and a dry run of {args.rows:,} more, "
        f"2 slow exports, the drain ({args.backend}), {args.writers} writers"
    )
    servers = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
    for label, server in servers:
        db_url = create_database("mixed_bench", workdir, server=server)
        try:
            run(label, db_url, workdir, args.rows, args.writers, args.backend)
        finally:
            drop_database(db_url)


if __name__ == "__main__":
    main()
