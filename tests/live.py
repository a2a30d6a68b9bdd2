"""A real portal process (uvicorn) on a free loopback port, for browser, fault and fuzz tests.

Each live portal gets its own database (SQLite file, or a PostgreSQL database when
PORTAL_TEST_DATABASE_URL is set), migrated with Alembic, and its own data folder."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from alembic import command
from sqlalchemy import create_engine
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.migrate import alembic_config
from app.people import service as people_service
from app.people.models import Role
from app.people.schemas import PersonCreate
from tests.databases import create_database, drop_database

SECRET = "live-secret-key-long-enough-0123456789abcdef"


T = TypeVar("T")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def until(check: Callable[[], T], seconds: float = 30) -> T:
    """`check()` again every 0.2 s until it gives something true or `seconds` pass; its last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


def migrated_database(label: str, workdir: Path) -> str:
    db_url = create_database(label, workdir)
    migrate(db_url)
    return db_url


def migrate(db_url: str) -> None:
    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()


def person_with_token(db_url: str, *, role: Role, email: str) -> str:
    """A person in a team of their own, and a personal API token for them (returned)."""
    engine = create_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        dept = people_service.get_or_create_department(session, name="Operations")
        team = people_service.get_or_create_team(session, name="Night Shift", department=dept)
        person = people_service.create(
            session,
            actor=None,
            data=PersonCreate(email=email, name="Live Tester", role=role, team_id=team.id),
        )
        token = auth_service.create_token(session, actor=person, owner=person).token
    engine.dispose()
    return token


PASSWORD = "live passphrase 2026"


def person_with_password(db_url: str, *, role: Role, email: str) -> str:
    """A person named "Page Tester" who signs in with PASSWORD (their e-mail is returned)."""
    engine = create_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        data = PersonCreate(email=email, name="Page Tester", role=role, password=PASSWORD)
        people_service.create(session, actor=None, data=data)
    engine.dispose()
    return email


@dataclass
class LivePortal:
    url: str
    db_url: str
    workdir: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return Path(self.env["PORTAL_DATA_DIR"])

    def session(self) -> Session:
        return Session(create_engine(self.db_url), expire_on_commit=False)

    def log(self) -> str:
        return (self.workdir / "server.log").read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the master) when started with workers > 1.
        Workers are spawned processes; multiprocessing's resource tracker is left out."""
        return self.children("spawn_main")

    def children(self, marker: str) -> list[int]:
        """The living child processes whose command line holds `marker` (zombies left out)."""
        out = subprocess.run(
            ["ps", "-ww", "-o", "pid=,stat=,args=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        pids = []
        for line in out.stdout.splitlines():
            pid, stat, args = line.split(None, 2)
            if marker in args and not stat.startswith("Z"):
                pids.append(int(pid))
        return pids

    def stop(self, *, drop: bool = True) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if drop:
            drop_database(self.db_url)


def uvicorn_command(port: int, *options: str) -> list[str]:
    """The portal served by uvicorn on loopback, as `make run` serves it."""
    server = [sys.executable, "-m", "uvicorn", "app.main:app"]
    # No proxy headers, as `portal serve` runs it: the app reads X-Forwarded-* itself (trusted proxies only).
    return [*server, "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers", *options]


def serve_command(port: int, *options: str) -> list[str]:
    """The portal as the README deploys it: `portal serve`, which also supervises `portal worker`."""
    portal = str(Path(sys.executable).parent / "portal")
    return [portal, "serve", "--host", "127.0.0.1", "--port", str(port), *options]


def start(
    workdir: Path,
    db_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    timeout: float = 40,
    serve: bool = False,
    serve_options: tuple[str, ...] = (),
    port: int | None = None,
) -> LivePortal:
    port = port or free_port()
    full_env = {
        **os.environ,
        "PORTAL_DATABASE_URL": db_url,
        "PORTAL_DATA_DIR": str(workdir / "data"),
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_INDEX_DRAINER": "true",  # the live portal keeps its own index in step
        "PORTAL_IMPORT_RUNNER": "true",  # ... and runs the import jobs started on its pages
        **(env or {}),
    }
    log = (workdir / "server.log").open("w")
    scale = ["--workers", str(workers)] if workers > 1 else []
    command_line = serve_command(port, *scale, *serve_options) if serve else uvicorn_command(port, *scale)
    process = subprocess.Popen(command_line, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    portal = LivePortal(
        url=f"http://127.0.0.1:{port}", db_url=db_url, workdir=workdir, process=process, env=full_env
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{portal.url}/healthz", timeout=1).status_code in (200, 503):
                return portal
        except httpx.HTTPError:
            time.sleep(0.2)
    portal.stop()
    raise RuntimeError("the portal did not start: " + portal.log())


@contextmanager
def two_nodes(workdir: Path, db_url: str, env: dict[str, str]) -> Iterator[tuple[LivePortal, LivePortal]]:
    """Two app processes on one database, as two nodes behind a load balancer; stopped afterwards
    (the database stays: its owner drops it)."""
    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    node_a = start(workdir / "a", db_url, env=env)
    node_b = start(workdir / "b", db_url, env=env)
    try:
        yield node_a, node_b
    finally:
        node_a.stop(drop=False)
        node_b.stop(drop=False)


class SignedIn:
    """A person signed in to a live portal with their password (an HTTP client with the session
    cookie), and the CSRF token its pages carry, for posting forms as a browser would."""

    def __init__(self, url: str, email: str, password: str) -> None:
        self.client = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
        signed_in = self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self._token("/login")}
        )
        assert signed_in.status_code == 303, signed_in.text[:300]
        self.csrf = self._token("/")

    def _token(self, path: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(path).text)
        assert found is not None, f"no form on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        return self.client.post(path, data={**data, "csrf_token": self.csrf}, **kwargs)
