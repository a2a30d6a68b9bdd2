"""`portal serve --workers N` (app/core/serving.py): each web process listens with a socket of its
own, so connections opened together are spread over all of them; a web process that dies is
started again while the others answer; stopping the server leaves no process behind; a port that
is taken is said plainly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx

from tests import live

ESTABLISHED, LISTENING = "01", "0A"  # TCP states as /proc/net/tcp writes them


def _sockets_by_process(pids: list[int], port: int, state: str = ESTABLISHED) -> dict[int, int]:
    """How many sockets on `port` in `state` each process holds (from /proc: Linux)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                inodes.add(fields[9])
    counts = {}
    for pid in pids:
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held += 1
        counts[pid] = held
    return counts


def _open_kept_alive(port: int, how_many: int) -> list[socket.socket]:
    """Connections opened at once, as a proxy's pool opens them, each answered once and kept."""
    connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(how_many)]
    for connection in connections:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    for connection in connections:
        assert connection.recv(65536).startswith(b"HTTP/1.1 ")
    return connections


def _port(portal: live.LivePortal) -> int:
    return int(portal.url.rsplit(":", 1)[1])


def _both_listening(portal: live.LivePortal) -> list[int]:
    """The two web processes, once both listen: the second may still be starting when the first
    already answers the health check that `live.start` waits for."""
    web = live.until(lambda: len(portal.worker_pids()) == 2 and portal.worker_pids())
    assert web, "portal serve --workers 2 did not start two web processes"
    listening = live.until(lambda: min(_sockets_by_process(web, _port(portal), LISTENING).values()) == 1)
    assert listening, _sockets_by_process(web, _port(portal), LISTENING)
    return web


def test_connections_opened_together_are_spread_over_the_web_processes(tmp_path: Path) -> None:
    db_url = live.migrated_database("serving", tmp_path)
    portal = live.start(tmp_path, db_url, serve=True, workers=2, serve_options=("--no-index-worker",))
    try:
        web = _both_listening(portal)
        port = _port(portal)
        # With one shared socket, one process often took nearly all (0 of 24 on the other in two
        # runs of three). A socket each: the kernel spreads them (fewer than 4 of 24 on one
        # process happens about 3 times in 10,000). Three rounds, so a shared socket is caught.
        for _ in range(3):
            connections = _open_kept_alive(port, 24)
            try:
                counts = _sockets_by_process(web, port)
            finally:
                for connection in connections:
                    connection.close()
            assert sum(counts.values()) == 24, counts
            assert min(counts.values()) >= 4, counts
            live.until(lambda: sum(_sockets_by_process(web, port).values()) == 0, seconds=10)
    finally:
        portal.stop()


def test_a_killed_web_process_is_started_again_and_stopping_leaves_none_behind(tmp_path: Path) -> None:
    db_url = live.migrated_database("serving", tmp_path)
    portal = live.start(tmp_path, db_url, serve=True, workers=2, serve_options=("--no-index-worker",))
    try:
        first = _both_listening(portal)
        os.kill(first[0], signal.SIGKILL)
        # Once it is gone (a connection that reached its queue just before is reset, as with any
        # process that dies), the other process answers meanwhile.
        assert live.until(lambda: not live.alive(first[0]), seconds=10)
        for _ in range(10):
            assert httpx.get(f"{portal.url}/healthz", timeout=10).status_code in (200, 503)
        again = live.until(
            lambda: (
                len(portal.worker_pids()) == 2
                and first[0] not in portal.worker_pids()
                and portal.worker_pids()
            )
        )
        assert again, "the killed web process was not replaced"
        assert "ended (-9); starting another in" in portal.log()
        now = set(again)
    finally:
        portal.stop()
    assert live.until(lambda: not any(live.alive(pid) for pid in now), seconds=15), (
        "a web process outlived portal serve"
    )


def test_a_port_in_use_is_said_plainly(tmp_path: Path) -> None:
    db_url = live.migrated_database("serving", tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PORTAL_DATABASE_URL": db_url, "PORTAL_DATA_DIR": str(tmp_path / "data"),
               "PORTAL_SECRET_KEY": live.SECRET}  # fmt: skip
        done = subprocess.run(
            live.serve_command(port, "--workers", "2", "--no-index-worker"),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    live.drop_database(db_url)
    assert done.returncode != 0
    assert f"Cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr + done.stdout
