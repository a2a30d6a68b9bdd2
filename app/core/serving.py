"""`portal serve --workers N`: N web processes, each listening on the same port with a socket of its
own (SO_REUSEPORT), so the kernel spreads the connections evenly over them.

Why not uvicorn's own --workers: its processes share one socket, and the first to wake accepts
every connection waiting (asyncio accepts up to 100 at a wake-up). A client that opens its
connections at once, such as a reverse proxy's pool or a load test, then lands most of them on one
process for as long as they are kept alive. Measured with 32 kept-alive connections on 2 processes
(home page, 100,000 insights): splits of 29/3 and 20/12 came up, and the page was served at
110-310 req/s from run to run; with a socket each, the splits stay near 16/16 and the rate at
360-400.

The parent starts the processes, starts a process again when it dies (a crash, an out-of-memory
kill: after 1 s, doubled up to a minute while it keeps dying within a minute of its start, each
death logged), and stops them all on SIGTERM or SIGINT; each finishes the requests it has. A process that
cannot start (the app fails at start-up) stops the whole server instead of being started over and
over. Where the system has no SO_REUSEPORT, uvicorn's own workers serve.

The price: connections waiting in a process's own queue, not yet accepted, are reset when that
process dies or stops (with one shared socket, another process would take them). Clients and
proxies retry a reset connection; a graceful stop finishes every request already accepted."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from app.core.supervise import next_pause, watch_parent

log = logging.getLogger("portal.serve")

STOP_TIMEOUT = 30.0


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _config(app: str, host: str, port: int, workers: int = 1) -> uvicorn.Config:
    # X-Forwarded-* are read by the app itself, and only from PORTAL_TRUSTED_PROXIES
    # (app/core/websecurity.py): uvicorn must leave the peer address as it is.
    return uvicorn.Config(
        app, host=host, port=port, workers=workers, proxy_headers=False, log_level="warning"
    )


def _web_process(app: str, host: str, port: int, parent: int) -> None:
    """One web process: its own listening socket, uvicorn on it, until SIGTERM or the parent is gone."""

    watch_parent(parent, lambda: os.kill(os.getpid(), signal.SIGTERM))  # uvicorn's graceful shutdown
    uvicorn.Server(_config(app, host, port)).run(sockets=[_socket(host, port)])


def serve(app: str, *, host: str, port: int, workers: int) -> None:
    """Serve the ASGI app `app` ("module:attribute") with `workers` processes, until stopped."""
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        config = _config(app, host, port, workers)
        if workers <= 1:
            server = uvicorn.Server(config)
            server.run()
            if not server.started:
                raise SystemExit(STARTUP_FAILURE)
        else:  # uvicorn's own workers, on one shared socket
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    # Bound, never listening: it holds the port for these processes (another program asking for
    # it fails), and tells at once when the port is taken, before any process starts.
    try:
        holder = _socket(host, port)
    except OSError as error:
        raise SystemExit(f"Cannot listen on {host}:{port}: {error.strerror}") from None
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> BaseProcess:
        process = spawn.Process(target=_web_process, args=(app, host, port, os.getpid()), daemon=False)
        process.start()
        return process

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    processes = [start() for _ in range(workers)]
    started = [time.monotonic()] * workers
    pauses: list[float | None] = [None] * workers  # None: not started again yet
    try:
        while not stopping.wait(0.5):
            for n, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error(
                        "a web process could not start; stopping", extra={"event": "serve.startup_failed"}
                    )
                    stopping.set()
                    break
                pause = pauses[n] = next_pause(pauses[n], time.monotonic() - started[n])
                log.error(
                    f"web process {process.pid} ended ({process.exitcode}); starting another in "
                    f"{pause:.0f} s",
                    extra={"event": "serve.restarted", "exit_code": process.exitcode},
                )
                if stopping.wait(pause):
                    break
                processes[n] = start()
                started[n] = time.monotonic()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        holder.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if any(p.exitcode == STARTUP_FAILURE for p in processes):
        raise SystemExit(STARTUP_FAILURE)
