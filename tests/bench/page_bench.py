"""`make bench` (pages): the portal's pages against the least a page can be, at 1k, 10k and 100k insights.

For each size, a SQLite database gets the demo company and SIZE imported reviews from the shared
data (tagged, with a product area), indexed by tantivy. The portal is served by uvicorn with 2
workers, signed in as a leader; the reference is `tests/bench/minimal_page.py` (one route, Jinja2,
SQLModel reading 20 of the insights by an index) served the same way from the same database. For
each page: requests per second at concurrency 32 (wrk, from Debian), its ratio to the reference in
the same run, p95 under that load, the median of one request at a time, and afterwards the resident
memory of each web worker. Prints one table per size, then single-request times across the sizes.
Needs `wrk` (`apt-get install wrk`).
Run: python -m tests.bench.page_bench --sizes 1000,10000,100000 --seconds 8
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

import httpx

from tests import live
from tests.bench.import_bench import REVIEW_MAPPING, build_file
from tests.bench.search_bench import say

LEADER = "priya.raman@brightwater.example"  # a leader of the demo company (seed_data/company.yaml)
CONCURRENCY = 32
WORKERS = 2
SINGLE_REQUESTS = 25
LUA = """
paths = {%(paths)s}
n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], {["Cookie"] = [==[%(cookie)s]==]})
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH p95_us=%%d errors=%%d\\n", latency:percentile(95.0),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
    + summary.errors.timeout))
end
"""


@dataclass
class Result:
    page: str
    rps: float
    p95_ms: float
    errors: int
    single_ms: float


def prepare(rows: int) -> None:
    """(In a child process with the size's PORTAL_* settings.) The demo company, `rows` imported
    reviews, and a search index with everything in it."""
    from app import registry  # noqa: F401  (every searchable record handed to search)
    from app.core import migrate
    from app.core.db import new_read_session, new_session
    from app.imports import service as import_service
    from app.insights.models import Channel
    from app.limits import service as write_limits
    from app.people import service as people_service
    from app.search import service as search_service
    from app.seed import load_demo

    migrate.upgrade()
    workdir = Path(os.environ["PORTAL_DATA_DIR"]).parent
    source = workdir / f"reviews-{rows}.csv"
    build_file(source, rows)
    mapping = REVIEW_MAPPING
    with new_session() as session, write_limits.bypass():
        load_demo(session)
        actor = people_service.get_by_email(session, email="amara.okafor@brightwater.example")
        assert actor is not None
        plan = import_service.plan(source, mapping, channel=Channel.review)
        kept = import_service.checked_rows_path(plan)
        outcome = import_service.check(session, actor=actor, plan=plan, keep=kept)
        session.rollback()
        import_service.write(session, actor=actor, plan=plan, scale=outcome.score_scale, checked=kept)
        kept.unlink()
    with new_session() as session, new_read_session() as reading:
        while search_service.drain(session, wait=30, reading=reading):
            pass


def _wrk(url: str, paths: list[str], cookie: str, seconds: int, workdir: Path) -> tuple[float, float, int]:
    script = workdir / "paths.lua"
    quoted = ", ".join(f"[==[{p}]==]" for p in paths)  # Lua long strings: nothing to escape
    script.write_text(LUA % {"paths": quoted, "cookie": cookie})
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"wrk failed: {out.stdout} {out.stderr} {script.read_text()[:300]}")
    text = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    found = re.search(r"BENCH p95_us=(\d+) errors=(\d+)", text)
    assert found is not None, text
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = int(found.group(2)) + (int(non_2xx.group(1)) if non_2xx else 0)
    return rps, int(found.group(1)) / 1000, errors


def _single(url: str, paths: list[str], cookie: str = "") -> float:
    """The median time of one request at a time, in ms. A new connection for each (http.client:
    cheap to open): on a kept-alive one, uvicorn's second write (the body after the headers) waits
    for the client's delayed ACK, which adds 40 ms to every page, the minimal one too."""
    address = urlsplit(url)
    times = []
    for n in range(SINGLE_REQUESTS):
        path = paths[n % len(paths)]
        started = time.perf_counter()
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        answer = connection.getresponse()
        answer.read()
        connection.close()
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status == 200, (path, answer.status)
    return statistics.median(times)


def _rss_mb(pids: list[int]) -> list[tuple[float, float]]:
    """Each process's resident memory in MB: (all, of which files mapped in: shared libraries and
    the search index's memory-mapped segments, which the kernel can drop and read again)."""
    sizes = []
    for pid in pids:
        fields = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssFile"):
                fields[name] = int(value.split()[0]) / 1024
        sizes.append((fields.get("VmRSS", 0.0), fields.get("RssFile", 0.0)))
    return sizes


def _children(parent: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _pages(portal: live.LivePortal) -> dict[str, list[str]]:
    """The pages to measure, with the ids and values of this database."""
    from sqlalchemy import text

    with portal.session() as session:

        def one(sql: str) -> str:
            return str(session.execute(text(sql)).scalar())

        # A pain point of the demo company with its evidence, tags and proposals.
        insight = one(
            "SELECT insight_id FROM proposal_insight JOIN insight ON insight.id = insight_id "
            "WHERE kind = 'pain_point' GROUP BY insight_id ORDER BY count(*) DESC LIMIT 1"
        )
        proposal = one(
            "SELECT target_id FROM comment WHERE target_type = 'proposal' "
            "GROUP BY target_id ORDER BY count(*) DESC LIMIT 1"
        )
        area = one(
            "SELECT product_area FROM insight WHERE product_area != '' "
            "GROUP BY product_area ORDER BY count(*) DESC LIMIT 1"
        )
    return {
        "home": ["/"],
        "/insights": ["/insights"],
        "/insights filtered, pages 1-50": [
            f"/insights?kind=feedback&product_area={quote_plus(area)}&page={n}" for n in range(1, 51)
        ],
        "dashboard": ["/dashboard"],
        "insight page": [f"/insights/{insight}"],
        "proposal page": [f"/proposals/{proposal}"],
        "/proposals": ["/proposals", "/proposals?sort=support", "/proposals?sort=newest"],
        "/review": ["/review"],
        "search": [f"/search?q={w}" for w in ("dress", "fabric+quality", "returns", "zipper", "colour")],
        "tag suggestions": [f"/tags/suggest?q={w}" for w in ("dr", "kn", "bl", "sw", "pa")],
    }


def run_size(
    rows: int, workdir: Path, seconds: int
) -> tuple[list[Result], float, list[tuple[float, float]], list[tuple[float, float]]]:
    here = workdir / f"size-{rows}"
    here.mkdir()
    db_url = f"sqlite:///{here / 'portal.db'}"
    settings = {
        "PORTAL_DATABASE_URL": db_url,
        "PORTAL_DATA_DIR": str(here / "data"),
        "PORTAL_SECRET_KEY": live.SECRET,
        "PORTAL_SEARCH_BACKEND": "tantivy",
    }
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "tests.bench.page_bench", "--prepare", str(rows)],
        env={**os.environ, **settings, "PORTAL_INDEX_DRAINER": "false"},
        check=True,
    )
    say(f"  {rows:,} insights ready in {time.monotonic() - started:.0f} s")
    minimal_port = live.free_port()
    minimal = subprocess.Popen(
        [
            sys.executable, "-c", "from app.core.serving import serve; serve('tests.bench.minimal_page:app', "
            f"host='127.0.0.1', port={minimal_port}, workers={WORKERS})",
        ],
        env={**os.environ, "MINIMAL_DATABASE_URL": db_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # As deployed: `portal serve` (uvicorn, warnings only in the log) with its supervised worker.
    portal = live.start(here, db_url, serve=True, workers=WORKERS, env=settings, timeout=90)
    try:
        minimal_url = f"http://127.0.0.1:{minimal_port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(minimal_url + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        leader = live.SignedIn(portal.url, LEADER, "brightwater-demo-2026")
        cookie = "; ".join(f"{k}={v}" for k, v in leader.client.cookies.items())
        reference_single = _single(minimal_url, ["/"])
        reference_rps, reference_p95, _ = _wrk(minimal_url, ["/"], "", seconds, here)
        results = [Result("minimal page", reference_rps, reference_p95, 0, reference_single)]
        for page, paths in _pages(portal).items():
            single = _single(portal.url, paths, cookie)
            rps, p95, errors = _wrk(portal.url, paths, cookie, seconds, here)
            results.append(Result(page, rps, p95, errors, single))
        portal_rss = _rss_mb(portal.worker_pids())
        minimal_rss = _rss_mb([p for p in _children(minimal.pid) if "spawn_main" in _args(p)])
    finally:
        portal.stop(drop=False)
        minimal.terminate()
        minimal.wait(timeout=15)
        shutil.rmtree(here, ignore_errors=True)
    return results, reference_rps, portal_rss, minimal_rss


def _args(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("The page benchmark needs wrk: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="page-bench-"))
    sizes = [int(s) for s in args.sizes.split(",")]
    say(
        f"Pages against a minimal page (SQLite, tantivy, both served by app/core/serving.py with "
        f"{WORKERS} processes, wrk c{CONCURRENCY} for {args.seconds} s each, signed in as a leader; "
        f"{os.cpu_count()} cores)"
    )
    singles: dict[str, list[float]] = {}
    for rows in sizes:
        results, reference, portal_rss, minimal_rss = run_size(rows, workdir, args.seconds)
        say(f"\n{rows:,} insights")
        say(f"| page | req/s | vs minimal | p95 at c{CONCURRENCY} | one at a time | errors |")
        say("| --- | ---: | ---: | ---: | ---: | ---: |")
        for r in results:
            say(
                f"| {r.page} | {r.rps:,.0f} | {r.rps / reference:.2f}x | {r.p95_ms:,.0f} ms "
                f"| {r.single_ms:.1f} ms | {r.errors} |"
            )
            singles.setdefault(r.page, []).append(r.single_ms)
        say(
            "RSS per web worker (of which mapped files): portal "
            + ", ".join(f"{total:.0f} ({files:.0f})" for total, files in portal_rss)
            + " MB; minimal page "
            + ", ".join(f"{total:.0f} ({files:.0f})" for total, files in minimal_rss)
            + " MB"
        )
    if len(sizes) > 1:
        say("\nOne request at a time, " + " → ".join(f"{s:,}" for s in sizes) + " insights (median ms)")
        say(f"| page | {' | '.join(f'{s:,}' for s in sizes)} | {sizes[-1]:,} / {sizes[0]:,} |")
        say("| --- | " + " | ".join("---:" for _ in sizes) + " | ---: |")
        for page, times in singles.items():
            growth = times[-1] / max(times[0], 0.01)
            say(f"| {page} | {' | '.join(f'{t:.1f}' for t in times)} | {growth:.2f}x |")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
