"""`make bench`: search at 10k and 100k insights built from the shared customer-review data.

For each size it prints the index build rate, the search API's p50/p95 over a fixed set of queries
(words, pairs, phrases, prefixes, OR, exclusions, with and without filters), the same queries in
SQLite FTS5 over the same texts as a reference, and the peak memory of the process.
Run: make bench   (or: python -m tests.bench.search_bench --sizes 10000,100000)
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text as sql

DATA = Path(os.environ.get("PORTAL_BENCH_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
CSV_FILE = DATA / "womens_clothing_ecommerce_reviews.csv"

# (query, filters): words, pairs, phrases, prefixes, OR, exclusions; some with facet filters.
QUERIES: list[tuple[str, dict[str, str]]] = [
    ("dress", {}),
    ("fabric", {}),
    ("small", {}),
    ("returned", {}),
    ("color", {}),
    ("zipper", {}),
    ("comfortable", {}),
    ("petite", {}),
    ("sweater", {}),
    ("jeans", {}),
    ("itchy", {}),
    ("beautiful", {}),
    ("runs small", {}),
    ("poor quality", {}),
    ("love dress", {}),
    ("too short", {}),
    ("true size", {}),
    ("fabric thin", {}),
    ("wash shrink", {}),
    ("waist tight", {}),
    ("sheer lining", {}),
    ("great price", {}),
    ('"runs small"', {}),
    ('"true to size"', {}),
    ('"poor quality"', {}),
    ('"sent it back"', {}),
    ('"highly recommend"', {}),
    ('"too big"', {}),
    ('"the fabric is"', {}),
    ("comfort*", {}),
    ("disappoint*", {}),
    ("embroid*", {}),
    ("shrin*", {}),
    ("fla*", {}),
    ("retur*", {}),
    ("zipper OR buttons", {}),
    ("itchy OR scratchy", {}),
    ("dress -small", {}),
    ("jacket -warm", {}),
    ("dress", {"kind": "pain_point"}),
    ("fabric", {"department": "Tops"}),
    ("small", {"tag": "knits"}),
    ("quality", {"sentiment": "negative"}),
    ("love", {"kind": "success_story", "department": "Dresses"}),
    ("runs small", {"department": "Bottoms"}),
    ('"true to size"', {"tag": "dresses"}),
    ("return*", {"sentiment": "negative"}),
    ("color OR colour", {"department": "Tops"}),
    ("beautiful -expensive", {"kind": "feedback"}),
    ("soft", {"tag": "sweaters"}),
    ("", {"kind": "pain_point"}),
    ("", {"department": "Jackets"}),
]


def load_reviews() -> list[dict[str, str]]:
    if not CSV_FILE.exists():
        sys.exit(f"Benchmark data not found: {CSV_FILE} (set PORTAL_BENCH_DATA to the folder with the CSV)")
    with CSV_FILE.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row.get("Review Text", "").strip()]


def corpus(reviews: list[dict[str, str]], size: int) -> list[dict[str, object]]:
    """`size` insights; past the real reviews, deterministic new pairings of a title with another
    review's text, so word statistics stay those of real customer language."""
    docs = []
    base = datetime(2026, 1, 1, tzinfo=UTC)
    n_reviews = len(reviews)
    for i in range(size):
        row = reviews[i % n_reviews]
        if i >= n_reviews:
            other = reviews[(i * 7919 + i // n_reviews) % n_reviews]
            title = (row["Title"] or other["Title"] or "Customer review").strip()
            body = other["Review Text"].strip()
            rating = int(other["Rating"] or 3)
        else:
            title = (row["Title"] or "Customer review").strip()
            body = row["Review Text"].strip()
            rating = int(row["Rating"] or 3)
        recommended = row.get("Recommended IND") == "1"
        kind = (
            "pain_point"
            if rating <= 2
            else ("success_story" if rating == 5 and recommended and i % 7 == 0 else "feedback")
        )
        docs.append(
            {
                "kind": kind,
                "title": title[:200],
                "body": body,
                "quote": body if kind == "feedback" else "",
                "department": row.get("Department Name") or "",
                "product_area": row.get("Division Name") or "",
                "tag": (row.get("Class Name") or "").lower().replace(" ", "-"),
                "sentiment": "negative" if rating <= 2 else ("positive" if rating >= 4 else "neutral"),
                "created": base + timedelta(minutes=i * 7),
                "severity": 2 if kind == "pain_point" else None,
            }
        )
    return docs


def _wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the portal did not start for the benchmark")


def _peak_rss_mb(pid: int) -> float:
    """The server's peak resident memory (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def run_size(
    size: int, reviews: list[dict[str, str]], rounds: int, backend_name: str = "whoosh"
) -> dict[str, float]:
    from tests.databases import create_database, drop_database

    workdir = Path(tempfile.mkdtemp(prefix=f"portal-bench-{size}-"))
    os.environ["PORTAL_DATA_DIR"] = str(workdir / "data")
    if backend_name == "postgres":
        # The PostgreSQL backend keeps its index in the database: bench it on a scratch PostgreSQL.
        os.environ.setdefault("PORTAL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        db_url = create_database("bench", workdir)
    else:
        db_url = f"sqlite:///{workdir / 'bench.db'}"
    os.environ["PORTAL_DATABASE_URL"] = db_url
    os.environ["PORTAL_SEARCH_BACKEND"] = backend_name
    os.environ["PORTAL_SECRET_KEY"] = "bench-secret-key-long-enough-0123456789abc"
    os.environ["PORTAL_INDEX_DRAINER"] = "false"
    from app.core.config import get_settings
    from app.core.db import dispose_engines

    get_settings.cache_clear()
    dispose_engines()
    from app import registry  # noqa: F401  (every searchable record handed to search)
    from app.auth import service as auth_service
    from app.core import migrate
    from app.core.db import get_engine, new_session
    from app.people import service as people_service
    from app.people.models import Role
    from app.people.schemas import PersonCreate
    from app.search import service as search_service
    from tests import live

    search_service.get_backend.cache_clear()
    migrate.upgrade()
    docs = corpus(reviews, size)
    with new_session() as session:
        dept_ids = {}
        for name in sorted({str(d["department"]) for d in docs if d["department"]}):
            dept_ids[name] = people_service.get_or_create_department(session, name=name).id
        team = people_service.get_or_create_team(
            session,
            name="CX Bench",
            department=people_service.get_or_create_department(session, name="Customer Experience"),
        )
        author = people_service.create(
            session,
            actor=None,
            data=PersonCreate(email="bench@example.test", name="Bench CX", role=Role.cx, team_id=team.id),
        )
        token = auth_service.create_token(session, actor=author, owner=author).token
    # Bulk insert (executemany): the ORM one-by-one path ran at 0.12x raw SQLite speed.
    with get_engine().begin() as conn:
        tag_names = sorted({str(d["tag"]) for d in docs if d["tag"]})
        conn.execute(sql("INSERT INTO tag (name) VALUES (:name)"), [{"name": t} for t in tag_names])
        tag_ids = dict(conn.execute(sql("SELECT name, id FROM tag")).all())
        conn.execute(
            sql(
                "INSERT INTO insight (id, kind, title, body, product_area, segment, author_id, department_id,"
                " status, created_at, updated_at, quote, sentiment, severity, persona, goals, frustrations,"
                " quotes) VALUES (:id, :kind, :title, :body, :product_area, '', :author, :dept, 'published',"
                " :created, :created, :quote, :sentiment, :severity, '', '', '', '[]')"
            ),
            [
                {
                    "id": i + 1,
                    "kind": d["kind"],
                    "title": d["title"],
                    "body": d["body"],
                    "product_area": d["product_area"],
                    "author": author.id,
                    "dept": dept_ids.get(str(d["department"])),
                    "created": d["created"],
                    "quote": d["quote"],
                    "sentiment": d["sentiment"],
                    "severity": d["severity"],
                }
                for i, d in enumerate(docs)
            ],
        )
        if db_url.startswith("postgresql"):
            conn.execute(sql("SELECT setval('insight_id_seq', (SELECT max(id) FROM insight))"))
        conn.execute(
            sql("INSERT INTO insight_tag (insight_id, tag_id) VALUES (:insight, :tag)"),
            [{"insight": i + 1, "tag": tag_ids[d["tag"]]} for i, d in enumerate(docs) if d["tag"]],
        )
    backend = search_service.get_backend()
    search_service.get_backend.cache_clear()
    with new_session() as session:
        started = time.perf_counter()
        built = search_service.reindex(session, backend=backend, procs=min(os.cpu_count() or 1, 4))
        build_seconds = time.perf_counter() - started

    # The API as deployed: a real server process on loopback, a keep-alive client.
    port = live.free_port()
    env = {**os.environ, "PORTAL_INDEX_DRAINER": "false"}
    quiet = ("--log-level", "warning", "--no-access-log")
    server = subprocess.Popen(live.uvicorn_command(port, *quiet), env=env)
    api_times: list[float] = []
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            _wait_until_up(client)
            for round_number in range(rounds + 1):  # the first round warms caches and is not counted
                for text, filters in QUERIES:
                    started = time.perf_counter()
                    response = client.get("/api/v1/search", params={"q": text, **filters})
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, (text, response.text)
                    if round_number:
                        api_times.append(elapsed)
        server_peak_mb = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    dispose_engines()
    drop_database(db_url)
    shutil.rmtree(workdir, ignore_errors=True)
    fts_times = fts5_reference(docs, rounds)
    peak_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, server_peak_mb)
    return {
        "backend": backend_name,
        "size": size,
        "built": built,
        "build_docs_per_s": built / build_seconds,
        "build_seconds": build_seconds,
        "api_p50": statistics.median(api_times),
        "api_p95": percentile(api_times, 95),
        "fts_p50": statistics.median(fts_times),
        "fts_p95": percentile(fts_times, 95),
        "peak_mb": peak_mb,
        "queries": len(QUERIES),
    }


def fts5_reference(docs: list[dict[str, object]], rounds: int) -> list[float]:
    """The same texts and queries in SQLite FTS5: top 20 by bm25 plus kind/department/tag counts."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE doc USING fts5(title, tags, body,"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.execute(
        "CREATE TABLE meta (rowid INTEGER PRIMARY KEY, kind TEXT, department TEXT, tag TEXT, sentiment TEXT)"
    )
    db.executemany(
        "INSERT INTO doc (rowid, title, tags, body) VALUES (?, ?, ?, ?)",
        [(i + 1, d["title"], d["tag"], d["body"]) for i, d in enumerate(docs)],
    )
    db.executemany(
        "INSERT INTO meta VALUES (?, ?, ?, ?, ?)",
        [(i + 1, d["kind"], d["department"], d["tag"], d["sentiment"]) for i, d in enumerate(docs)],
    )
    times: list[float] = []
    for round_number in range(rounds + 1):
        for text, filters in QUERIES:
            match = _to_fts(text)
            where = " AND ".join(f"meta.{k} = ?" for k in filters) or "1"
            params = list(filters.values())
            started = time.perf_counter()
            if match:
                base = (
                    f"SELECT doc.rowid FROM doc JOIN meta ON meta.rowid = doc.rowid "
                    f"WHERE doc MATCH ? AND {where}"
                )
                args = [match, *params]
                db.execute(f"{base} ORDER BY bm25(doc, 3.0, 2.0, 1.0) LIMIT 20", args).fetchall()
            else:
                base = f"SELECT rowid FROM meta WHERE {where}"
                args = params
                db.execute(f"{base} ORDER BY rowid DESC LIMIT 20", args).fetchall()
            for facet in ("kind", "department", "tag", "sentiment"):
                db.execute(
                    f"SELECT {facet}, count(*) FROM meta WHERE rowid IN ({base}) GROUP BY {facet}", args
                ).fetchall()
            if round_number:
                times.append((time.perf_counter() - started) * 1000)
    return times


def _to_fts(text: str) -> str:
    """Our query syntax in FTS5 terms: words AND, "phrases", OR, -word -> NOT, prefix*."""
    if not text:
        return ""
    tokens = re.findall(r'"[^"]*"|\S+', text)
    positive = [t for t in tokens if not t.startswith("-")]
    negative = [t[1:] for t in tokens if t.startswith("-")]
    expr = " ".join(positive)
    for word in negative:
        expr = f"({expr}) NOT {word}"
    return expr


def two_nodes(writes: int = 20) -> tuple[float, float]:
    """Two app processes on one PostgreSQL (search backend postgres): write on A, poll B's search
    until it finds the write. Returns (median, max) milliseconds from A's 201 to B's first hit."""
    from app.people.models import Role
    from tests import live
    from tests.databases import create_database, drop_database

    os.environ.setdefault("PORTAL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-nodes-"))
    db_url = create_database("nodes", workdir)
    live.migrate(db_url)
    token = live.person_with_token(db_url, role=Role.cx, email="nodes@bench.test")
    env = {"PORTAL_SEARCH_BACKEND": "postgres", "PORTAL_INDEX_DRAINER": "false"}
    delays = []
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with (
            live.two_nodes(workdir, db_url, env) as (node_a, node_b),
            httpx.Client(headers=headers, timeout=10) as client,
        ):
            for n in range(writes):
                word = f"zebra{n}q"
                body = {"kind": "feedback", "title": f"Sofa {word}", "quote": "q", "channel": "survey"}
                assert client.post(f"{node_a.url}/api/v1/insights", json=body).status_code == 201
                written = time.perf_counter()
                while client.get(f"{node_b.url}/api/v1/search", params={"q": word}).json()["total"] == 0:
                    if time.perf_counter() - written > 5:
                        raise AssertionError("node B did not find node A's write within 5 s")
                delays.append((time.perf_counter() - written) * 1000)
    finally:
        drop_database(db_url)
        shutil.rmtree(workdir, ignore_errors=True)
    return statistics.median(delays), max(delays)


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="whoosh,tantivy,postgres")
    args = parser.parse_args()
    reviews = load_reviews()
    say(
        f"corpus: {len(reviews)} reviews with text from {CSV_FILE.name}; {len(QUERIES)} queries, "
        f"{args.rounds} measured rounds each"
    )
    header = (
        f"{'backend':>9} {'size':>8} {'build docs/s':>13} {'build s':>8} "
        f"{'api p50 ms':>11} {'api p95 ms':>11} "
        f"{'fts5 p50 ms':>12} {'fts5 p95 ms':>12} {'p95 ratio':>10} {'peak MB':>8}"
    )
    rows = []
    runs = [(b, int(n)) for b in args.backends.split(",") for n in args.sizes.split(",")]
    for backend_name, size in runs:
        result = run_size(size, reviews, args.rounds, backend_name)
        rows.append(result)
        if len(rows) == 1:
            say(header)
        say(
            f"{result['backend']:>9} {result['size']:>8} {result['build_docs_per_s']:>13.0f} "
            f"{result['build_seconds']:>8.1f} "
            f"{result['api_p50']:>11.1f} {result['api_p95']:>11.1f} {result['fts_p50']:>12.1f} "
            f"{result['fts_p95']:>12.1f} {result['api_p95'] / max(result['fts_p95'], 0.001):>10.2f} "
            f"{result['peak_mb']:>8.0f}"
        )

    if "postgres" in args.backends.split(","):
        median, worst = two_nodes()
        say(
            f"two app nodes on one PostgreSQL: a write on one is found on the other after {median:.0f} ms "
            f"(median of 20; slowest {worst:.0f} ms)"
        )


if __name__ == "__main__":
    main()
