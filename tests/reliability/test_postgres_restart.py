"""F15 of security.md: PostgreSQL restarts (`pg_ctl restart -m fast`) while people write. Requests
caught by the restart get 503 (never a 500), the pool recovers within seconds (pool_pre_ping), and
every write acknowledged with 201 is in the database afterwards.

The server restarted is a private one this test starts (initdb in a temporary folder, its own
port), so the suite's own PostgreSQL is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.people.models import Role
from tests import live

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(server url, data folder) of a PostgreSQL of our own on a free loopback port."""
    if not (BIN / "initdb").exists() or shutil.which("runuser") is None or os.geteuid() != 0:
        message = "needs Debian's PostgreSQL 15 binaries and root (to run them as postgres)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Under /tmp itself: pytest's own folders are closed to other users, and initdb runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="portal-f15-"))
    shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    done = _as_postgres(str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    assert done.returncode == 0, done.stderr
    port = live.free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = _as_postgres(
        str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(folder / "log"), "start"
    )
    assert started.returncode == 0, started.stderr + started.stdout
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", data
    finally:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_f15_a_postgres_restart_mid_traffic_gives_503s_recovers_and_loses_nothing(
    tmp_path: Path, private_postgres: tuple[str, Path]
) -> None:
    server, data = private_postgres
    from tests.databases import create_database

    db_url = create_database("f15", tmp_path, server=server)
    live.migrate(db_url)
    token = live.person_with_token(db_url, role=Role.cx, email="cx@f15.test")
    portal = live.start(tmp_path, db_url, env={"PORTAL_LIMIT_PROPOSALS_PER_HOUR": "100000"})
    results: list[tuple[float, int, int | None]] = []  # (when, status, id)
    stop = threading.Event()

    def write() -> None:
        with httpx.Client(
            base_url=portal.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as api:
            n = 0
            while not stop.is_set() and n < 2000:
                n += 1
                try:
                    answer = api.post(
                        "/api/v1/proposals",
                        json={"title": f"During restart {n}", "problem": "p", "change": "c"},
                    )
                except httpx.HTTPError:
                    results.append((time.monotonic(), 0, None))
                    continue
                made = answer.json().get("id") if answer.status_code == 201 else None
                results.append((time.monotonic(), answer.status_code, made))

    writers = [threading.Thread(target=write) for _ in range(3)]
    try:
        for thread in writers:
            thread.start()
        time.sleep(1.5)
        # -l: the restarted server writes to its log, not to our pipes (which would keep us waiting).
        log_file = str(data.parent / "log")
        restarted = _as_postgres(
            str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-l", log_file, "restart"
        )
        assert restarted.returncode == 0, restarted.stderr + restarted.stdout
        back_at = time.monotonic()
        time.sleep(6)
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=60)
        portal.stop(drop=False)
    statuses = {status for _, status, _ in results}
    assert statuses <= {201, 503}, sorted(statuses)  # never a 500, never a dropped connection
    recovered = [when for when, status, _ in results if status == 201 and when > back_at]
    assert recovered and recovered[0] - back_at < 5, "writes did not succeed again within 5 s"
    acknowledged = {made for _, status, made in results if status == 201}
    engine = create_engine(db_url)
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT id FROM proposal")).scalars())
    engine.dispose()
    assert acknowledged <= stored
    print(  # noqa: T201  the figures, for the closing note (pytest -s)
        f"F15: {len(results)} writes, {sum(s == 201 for _, s, _ in results)} acknowledged, "
        f"{sum(s == 503 for _, s, _ in results)} answered 503, "
        f"first success {recovered[0] - back_at:.2f} s after the restart"
    )
