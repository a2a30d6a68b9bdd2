"""The background worker is watched (issue 21): `portal serve` starts it again when it dies, and
/healthz says "stalled" when work waits and no worker has beaten its heartbeat for a minute."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.core.supervise import Supervisor
from app.people.models import Role
from tests import live


def _worker_pids(portal: live.LivePortal) -> list[int]:
    return portal.children("app.cli worker")


def test_a_killed_worker_is_started_again_and_indexes_what_came_meanwhile(tmp_path: Path) -> None:
    db_url = live.migrated_database("supervised", tmp_path)
    token = live.person_with_token(db_url, role=Role.cx, email="cx@worker.test")
    portal = live.start(tmp_path, db_url, serve=True)
    try:
        first = live.until(lambda: _worker_pids(portal))
        assert len(first) == 1, "portal serve started no worker"
        health = live.until(
            lambda: httpx.get(f"{portal.url}/healthz").json()["workers"]["search-drainer"]["status"] == "ok"
        )
        assert health, httpx.get(f"{portal.url}/healthz").json()
        os.kill(first[0], signal.SIGKILL)
        with httpx.Client(
            base_url=portal.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as api:
            made = api.post(
                "/api/v1/insights",
                json={
                    "kind": "feedback",
                    "title": "Kiosk froze",
                    "quote": "The kiosk froze twice",
                    "channel": "survey",
                },
            )
            assert made.status_code == 201
            again = live.until(lambda: [p for p in _worker_pids(portal) if p != first[0]])
            assert again, "the worker was not started again"
            found = live.until(lambda: api.get("/api/v1/search", params={"q": "kiosk"}).json()["total"] == 1)
            assert found, "the new worker did not index the insight"
        assert "portal worker killed by signal 9" in portal.log()
    finally:
        portal.stop()
    # Stopping `portal serve` stops its worker too: none is left behind, orphaned.
    gone = live.until(lambda: not any(live.alive(pid) for pid in [*first, *again]), seconds=10)
    assert gone, "a worker outlived portal serve"


def test_healthz_says_stalled_when_work_waits_and_no_worker_beats(tmp_path: Path) -> None:
    db_url = live.migrated_database("stalled", tmp_path)
    token = live.person_with_token(db_url, role=Role.cx, email="cx@stalled.test")
    env = {**os.environ, "PORTAL_DATABASE_URL": db_url, "PORTAL_DATA_DIR": str(tmp_path / "data")}
    env["PORTAL_SECRET_KEY"] = live.SECRET
    built = subprocess.run(
        [str(Path(sys.executable).parent / "portal"), "reindex"], env=env, capture_output=True
    )
    assert built.returncode == 0, built.stderr
    # No worker anywhere: neither `portal worker` nor the in-process threads.
    portal = live.start(
        tmp_path, db_url, env={"PORTAL_INDEX_DRAINER": "false", "PORTAL_IMPORT_RUNNER": "false"}
    )
    try:
        idle = httpx.get(f"{portal.url}/healthz")
        assert idle.status_code == 200 and idle.json()["workers"]["search-drainer"]["status"] == "idle"
        with httpx.Client(base_url=portal.url, headers={"Authorization": f"Bearer {token}"}) as api:
            made = api.post(
                "/api/v1/insights",
                json={"kind": "feedback", "title": "Nobody indexes", "quote": "q", "channel": "survey"},
            )
        assert made.status_code == 201
        stalled = httpx.get(f"{portal.url}/healthz")
        assert stalled.status_code == 503
        body = stalled.json()
        assert body["status"] == "degraded" and body["workers"]["search-drainer"]["status"] == "stalled"
        assert body["workers"]["search-drainer"]["waiting"] >= 1
    finally:
        portal.stop()


def test_the_supervisor_restarts_a_worker_that_keeps_dying_with_growing_pauses(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    supervisor = Supervisor([sys.executable, "-c", "import sys; sys.exit(3)"])
    original_wait = supervisor._stopping.wait

    def record(timeout: float | None = None) -> bool:
        pauses.append(timeout or 0)
        if len(pauses) >= 4:
            supervisor._stopping.set()
        return original_wait(0)

    monkeypatch.setattr(supervisor._stopping, "wait", record)
    with caplog.at_level(logging.ERROR, logger="portal.worker"):
        supervisor.start()
        supervisor.join(timeout=30)
    assert pauses == [1.0, 2.0, 4.0, 8.0]
    assert supervisor.restarts == 4
    assert "portal worker exited with status 3" in caplog.text
