"""Fault scenarios of security.md (c), against real portal processes on loopback.

F1 kill -9 of a worker during writes; F6/F7 a full disk under the database and the uploads;
F9 a damaged or missing database at start; F14 a backup taken while writes go on, restored.
(F2/F3/F8 live in tests/search, F4 in tests/core/test_sqlite_concurrency.py, F16 in
tests/test_migrations.py.) Every loop is bounded in count and time."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from app.people.models import Role
from tests import live
from tests.databases import server_url

NO_LIMITS = {
    "PORTAL_LIMIT_PROPOSALS_PER_HOUR": "100000",
    "PORTAL_LIMIT_UPLOADS_PER_HOUR": "100000",
}


def person_with_token(db_url: str) -> str:
    return live.person_with_token(db_url, role=Role.cx, email="cx@faults.test")


def propose(client: httpx.Client, n: int, body_size: int = 200) -> httpx.Response:
    return client.post(
        "/api/v1/proposals",
        json={"title": f"Fault test proposal {n}", "problem": "p" * body_size, "change": "c"},
    )


def proposal_ids(db_url: str) -> set[int]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        found = {row[0] for row in conn.execute(text("SELECT id FROM proposal"))}
    engine.dispose()
    return found


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 12 MB RAM disk (root mounts one; the machine and CI run as root)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount_point)], capture_output=True
    )
    if done.returncode != 0:
        message = f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_f1_kill_9_of_a_worker_during_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db_url = live.migrated_database("f1", tmp_path)
    token = person_with_token(db_url)
    portal = live.start(tmp_path, db_url, workers=2, env=NO_LIMITS)
    acknowledged: list[int] = []
    statuses: list[int] = []
    try:
        with httpx.Client(
            base_url=portal.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as client:
            kills = 0
            deadline = time.monotonic() + 90
            for n in range(240):
                if time.monotonic() > deadline:
                    break
                if n in (60, 140) and portal.worker_pids():
                    os.kill(portal.worker_pids()[0], signal.SIGKILL)
                    kills += 1
                try:
                    response = propose(client, n)
                except httpx.TransportError:
                    continue  # the in-flight request of the killed worker: allowed to fail
                statuses.append(response.status_code)
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])
            assert kills == 2
        assert 500 not in statuses and all(s in (201, 503) for s in statuses), set(statuses)
        assert len(acknowledged) >= 200
        assert set(acknowledged) <= proposal_ids(db_url)  # every 201 is in the database
        # The master replaced the killed workers: the portal still answers on both.
        assert len(portal.worker_pids()) == 2
        assert httpx.get(f"{portal.url}/healthz", timeout=5).status_code == 200
        if db_url.startswith("sqlite"):
            with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        portal.stop()


def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_f6_f7_full_disk_gives_503_and_507_keeps_reads_and_loses_nothing(tmp_path: Path, tmpfs: Path) -> None:
    """SQLite and the uploads on a 12 MB disk; a filler file takes the room."""
    db_url = f"sqlite:///{tmpfs / 'portal.db'}"
    live.migrate(db_url)
    token = person_with_token(db_url)
    page_user = live.person_with_password(db_url, role=Role.cx, email="pages@live.test")
    portal = live.start(tmp_path, db_url, env={**NO_LIMITS, "PORTAL_DATA_DIR": str(tmpfs / "data")})
    try:
        browser = live.SignedIn(portal.url, page_user, live.PASSWORD)  # signed in while there is room
        with httpx.Client(
            base_url=portal.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as client:
            insight = client.post(
                "/api/v1/insights",
                json={"kind": "feedback", "title": "Full disk", "quote": "q", "channel": "survey"},
            )
            assert insight.status_code == 201
            free = os.statvfs(tmpfs).f_bavail * os.statvfs(tmpfs).f_frsize
            (tmpfs / "filler").write_bytes(b"\0" * (free - 96 * 1024))  # leave 96 KB
            acknowledged, statuses = [], []
            for n in range(60):
                response = propose(client, n, body_size=8000)
                statuses.append(response.status_code)
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])
                elif response.status_code == 503:
                    assert (
                        response.headers["Retry-After"] and "Nothing was saved" in response.json()["detail"]
                    )
            assert 503 in statuses and 500 not in statuses, statuses
            # Reads keep working while the disk is full.
            assert client.get("/api/v1/proposals").status_code == 200
            # Uploads are refused with 507, and no temporary file is left behind.
            upload = client.post(
                f"/api/v1/insights/{insight.json()['id']}/attachments",
                files={"file": ("map.png", tiny_png(), "image/png")},
            )
            assert upload.status_code == 507
            # The same on the page: its own status and words, with the person still signed in.
            on_page = browser.post(
                f"/insights/{insight.json()['id']}/attachments",
                {},
                files={"file": ("map.png", tiny_png(), "image/png")},
            )
            assert on_page.status_code == 507 and "Page Tester" in on_page.text, on_page.text[:300]
            uploads = tmpfs / "data" / "uploads"
            assert not uploads.exists() or not any(p.name.endswith(".part") for p in uploads.iterdir())
            # A feedback import through the API: 507 with the reason, nothing imported, no file left.
            rows = "Comment\n" + "".join(f"The kiosk froze on visit {n}\n" for n in range(20_000))
            imported = client.post(
                "/api/v1/imports/feedback",
                files={"file": ("big.csv", rows.encode(), "text/csv")},
                data={"mapping": '{"quote": "Comment"}'},
            )
            assert imported.status_code == 507 and "no room left" in imported.json()["detail"]
            assert not any((tmpfs / "data" / "imports").iterdir())
            # Room again: writes work again, and every acknowledged write is there.
            (tmpfs / "filler").unlink()
            assert propose(client, 999).status_code == 201
        assert set(acknowledged) <= proposal_ids(db_url)
        with sqlite3.connect(tmpfs / "portal.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert portal.log().count('"event": "db.unavailable"') <= 2  # logged once a minute, not per request
    finally:
        portal.stop()


def portal_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_f9_serve_refuses_a_damaged_or_missing_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PORTAL_DATA_DIR": str(data), "PORTAL_SECRET_KEY": live.SECRET}
    env.pop("PORTAL_DATABASE_URL", None)
    assert portal_command("db", "upgrade", env=env).returncode == 0
    database = data / "portal.db"
    (data / "uploads").mkdir(parents=True, exist_ok=True)
    # Damaged: bytes flipped in the middle of the file.
    good = database.read_bytes()
    damaged = bytearray(good)
    for offset in range(4096, min(len(damaged), 4096 * 6)):
        damaged[offset] ^= 0xFF
    database.write_bytes(bytes(damaged))
    refused = portal_command("serve", "--port", str(live.free_port()), env=env)
    assert (
        refused.returncode == 2 and "cannot be used" in refused.stderr and "portal restore" in refused.stderr
    )
    # Missing, while the data folder shows a portal lived here: never a new empty database.
    database.unlink()
    refused = portal_command("serve", "--port", str(live.free_port()), env=env)
    assert refused.returncode == 2 and "is missing" in refused.stderr
    assert not database.exists()


def test_f14_backup_during_writes_restores_every_row_committed_before_it(tmp_path: Path) -> None:
    db_url = live.migrated_database("f14", tmp_path)
    token = person_with_token(db_url)
    portal = live.start(tmp_path, db_url, env=NO_LIMITS)
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": db_url,
        "PORTAL_DATA_DIR": str(portal.data_dir),
        "PORTAL_SECRET_KEY": live.SECRET,
    }
    stop = threading.Event()
    acknowledged: list[int] = []

    def write() -> None:
        with httpx.Client(
            base_url=portal.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as client:
            for n in range(400):
                if stop.is_set():
                    return
                response = propose(client, n)
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])

    writer = threading.Thread(target=write)
    try:
        writer.start()
        while len(acknowledged) < 30:
            time.sleep(0.05)
        before_backup = set(acknowledged)
        target = tmp_path / "backup" / ("portal.dump" if server_url() else "portal.db")
        done = portal_command("backup", "--to", str(target), env=env)
        assert done.returncode == 0, done.stderr
        assert "written and checked" in done.stdout
        while len(acknowledged) < len(before_backup) + 20:  # writes went on after the backup
            time.sleep(0.05)
        stop.set()
        writer.join(timeout=30)
        portal.stop(drop=False)
        after_writes = proposal_ids(db_url)
        assert set(acknowledged) <= after_writes
        restored = portal_command("restore", str(target), "--yes", env=env)
        assert restored.returncode == 0, restored.stderr
        rows = proposal_ids(db_url)
        assert before_backup <= rows  # everything committed before the backup began is back
        assert len(rows) < len(after_writes)  # and the database is the backup's, not the old one
        if not server_url():
            with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        stop.set()
        writer.join(timeout=30)
        portal.stop()


def test_f14_the_backup_never_copies_the_database_file() -> None:
    """A plain copy of a live SQLite file misses what is in the -wal file (security.md J4)."""
    source = (Path(__file__).resolve().parents[2] / "app" / "core" / "backup.py").read_text()
    assert "shutil.copy" not in source and "copyfile" not in source and '"cp"' not in source
    assert ".backup(" in source and "pg_dump" in source
